/*
 * NAME
 *      dict_unix - the unix: lookup table type (passwd and group files)
 *
 * SYNOPSIS
 *      unix:passwd.byname, unix:group.byname
 *
 * DESCRIPTION
 *      Postfix's dict_unix: a read-only table over the system user and group
 *      databases (getpwnam(3), getgrnam(3), so NSS sources count too).
 *
 *      unix:passwd.byname maps a login name to the passwd(5) line
 *      "name:passwd:uid:gid:gecos:dir:shell"; unix:group.byname maps a group
 *      name to "name:passwd:gid:member,member,...". Keys are fixed strings
 *      (lower-cased with DICT_FLAG_FOLD_FIX, as for every fixed-key type).
 *      This is what local_recipient_maps' default "proxy:unix:passwd.byname"
 *      uses to know the system users.
 *
 * DIAGNOSTICS
 *      An unknown map name gives a surrogate table whose lookups fail with
 *      DICT_ERR_CONFIG and the warning "unknown table: unix:NAME" (Postfix:
 *      "unix:NAME: unknown table"). A lookup error other than "no such
 *      entry" (errno set by the NSS source) is DICT_ERR_RETRY.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>

#include "dict.h"
#include "msg.h"
#include "mymalloc.h"
#include "vstr.h"

extern DICT *dict_unix_open(const char *name, int open_flags, int dict_flags);

typedef struct DICT_UNIX {
    DICT dict;
    VSTR *result;
} DICT_UNIX;

/* Errors from getpwnam/getgrnam that mean "no such entry". */
static int dict_unix_notfound_errno(int err)
{
    return err == 0 || err == ENOENT || err == ESRCH || err == EBADF || err == EPERM;
}

static const char *dict_unix_getpwnam(DICT *d, const char *key)
{
    DICT_UNIX *du = (DICT_UNIX *)d;
    struct passwd *pw;

    errno = 0;
    if ((pw = getpwnam(key)) == NULL) {
        if (!dict_unix_notfound_errno(errno))
            d->error = DICT_ERR_RETRY;
        return NULL;
    }
    vstr_sprintf(du->result, "%s:%s:%ld:%ld:%s:%s:%s", pw->pw_name, pw->pw_passwd, (long)pw->pw_uid,
                 (long)pw->pw_gid, pw->pw_gecos, pw->pw_dir, pw->pw_shell);
    return VSTR_STR(du->result);
}

static const char *dict_unix_getgrnam(DICT *d, const char *key)
{
    DICT_UNIX *du = (DICT_UNIX *)d;
    struct group *gr;
    char **cpp;

    errno = 0;
    if ((gr = getgrnam(key)) == NULL) {
        if (!dict_unix_notfound_errno(errno))
            d->error = DICT_ERR_RETRY;
        return NULL;
    }
    vstr_sprintf(du->result, "%s:%s:%ld:", gr->gr_name, gr->gr_passwd, (long)gr->gr_gid);
    for (cpp = gr->gr_mem; *cpp; cpp++) {
        if (cpp != gr->gr_mem)
            vstr_addch(du->result, ',');
        vstr_addstr(du->result, *cpp);
    }
    return VSTR_STR(du->result);
}

static void dict_unix_close(DICT *d)
{
    vstr_free(((DICT_UNIX *)d)->result);
}

/*
 * dict_unix_open - open unix:passwd.byname or unix:group.byname. open_flags
 * must be O_RDONLY in spirit (updates fail). Returns the table, or a
 * surrogate (DICT_ERR_CONFIG on every lookup) for an unknown name.
 */
DICT *dict_unix_open(const char *name, int open_flags, int dict_flags)
{
    DICT_UNIX *du;
    const char *(*fn)(DICT *, const char *);

    (void)open_flags;
    if (strcmp(name, "passwd.byname") == 0)
        fn = dict_unix_getpwnam;
    else if (strcmp(name, "group.byname") == 0)
        fn = dict_unix_getgrnam;
    else
        return dict_surrogate("unix", name, DICT_ERR_CONFIG, "unknown table: unix:%s", name);
    du = (DICT_UNIX *)dict_alloc("unix", name, sizeof(*du));
    du->result = vstr_alloc(100);
    du->dict.flags = dict_flags | DICT_FLAG_FIXED;
    du->dict.lookup = fn;
    du->dict.close = dict_unix_close;
    return &du->dict;
}

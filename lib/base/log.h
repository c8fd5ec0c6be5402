/*
 * log: one line per event on stderr, "prog: level: text", and the die
 * helpers.  The formatted text is escaped (CR, LF, other control bytes and
 * backslash as \xNN) and capped at LOG_LINE_MAX bytes, so a value taken
 * from a peer can never forge a second log line.  Never log a secret.
 *
 * Exit codes (DESIGN.md section 3): 0 done, 100 permanent failure,
 * 111 temporary failure, 101 internal bug.
 */
#ifndef POSTERN_LOG_H
#define POSTERN_LOG_H

#include <stdarg.h>

#define EXIT_DONE	0
#define EXIT_PERM	100
#define EXIT_BUG	101
#define EXIT_TEMP	111

#define LOG_LINE_MAX	1000

enum log_level { LOG_FATAL, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void	log_init(const char *);		/* program name; reads POSTERN_DEBUG */
const char *log_prog(void);
void	log_msg(enum log_level, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_vmsg(enum log_level, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));

#define log_warn(...)	log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

/* Escape s[0..n) as log_msg does, for one value; returns dst (NUL-ended). */
char   *log_escape(char *dst, size_t dstsize, const char *s, size_t n);

/* Die helpers: log "fatal: ..." and exit with the given code. */
void	die(int, const char *, ...)
	    __attribute__((noreturn, format(printf, 2, 3)));
/* As die, appending ": strerror(errno)". */
void	die_sys(int, const char *, ...)
	    __attribute__((noreturn, format(printf, 2, 3)));
/* "usage: ..." on stderr, exit 100. */
void	die_usage(const char *) __attribute__((noreturn));
/* "fatal: out of memory", exit 111. */
void	die_nomem(void) __attribute__((noreturn));
/* warning with ": strerror(errno)" appended. */
void	warn_sys(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif

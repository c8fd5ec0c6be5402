/*
 * tls: TLS on a pair of file descriptors with OpenSSL 3, for servers
 * (STARTTLS in smtp-recv and imap-serve) and, later, clients
 * (remote-deliver).  TLS 1.2 is the minimum.  OpenSSL is initialised only
 * when the first TLS object (or a preloaded context) is made, so a
 * program that never asks for TLS pays nothing for it.
 *
 * The descriptors are switched to non-blocking mode by tls_handshake;
 * every wait (handshake, read, write) is a poll(2) bounded by the
 * timeout set with tls_set_timeout (ms, < 0: none), failing with
 * ETIMEDOUT.
 *
 * tls_read has the rd_readfn signature (lib/rd.h), so an rd reader can be
 * pointed at it after the handshake.
 *
 * Return convention: 0 on success, -1 on failure with errno set (EPROTO
 * for a TLS-level error, whose text tls_error() gives), unless a function
 * says otherwise.
 */
#ifndef POSTERN_TLS_H
#define POSTERN_TLS_H

#include <sys/types.h>
#include <stddef.h>

struct tls;

/*
 * A server-side TLS object with the certificate chain and private key
 * from PEM files.  NULL on failure (errno set; tls_error(NULL) has the
 * text).
 */
struct tls *tls_server_new(const char *certfile, const char *keyfile);

/*
 * Load the context for certfile and keyfile now, to be shared by the
 * processes forked after this (smtp-recv's listening process calls it
 * before each fork): tls_server_new with the same files then costs no
 * file reading or key parsing.  The files are checked (stat) on every
 * use and loaded again when they have changed.
 */
int	tls_server_preload(const char *certfile, const char *keyfile);

/* Run the handshake on rfd/wfd (the same socket or fds 0 and 1). */
int	tls_handshake(struct tls *, int rfd, int wfd);

void	tls_set_timeout(struct tls *, int ms);

/* Read up to n bytes: > 0, 0 at EOF (close_notify or TCP EOF), -1. */
ssize_t	tls_read(void *tls, void *p, size_t n);

/* Write all of p[0..n). */
int	tls_write(struct tls *, const void *p, size_t n);

/* Decrypted bytes held by OpenSSL and not yet read (they need no wait). */
size_t	tls_pending(struct tls *);

/* Send close_notify (best effort) and free everything. */
void	tls_close(struct tls *);

/* After the handshake: "TLSv1.3", the IANA cipher suite name (RFC 8314
 * 7.4: "TLS_AES_256_GCM_SHA384"), and its secret bits. */
const char *tls_version(struct tls *);
const char *tls_cipher(struct tls *);
int	tls_cipher_bits(struct tls *);

/* The text of the last TLS error (static storage); "" when none. */
const char *tls_error(struct tls *);

#endif

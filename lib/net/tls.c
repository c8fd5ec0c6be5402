#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "net/tls.h"

struct tls {
	SSL_CTX	*ctx;
	SSL	*ssl;
	int	 rfd, wfd;
	int	 timeout_ms;
	int	 server;
};

static char errtext[256];

static void	set_error(const char *);
static int	nonblock(int);
static int	wait_io(struct tls *, int);

/* Keep the text of OpenSSL's error queue (first entry), or what. */
static void
set_error(const char *what)
{
	unsigned long e = ERR_get_error();

	size_t n;

	if (e != 0)
		ERR_error_string_n(e, errtext, sizeof(errtext));
	else {
		n = strlen(what);
		if (n >= sizeof(errtext))
			n = sizeof(errtext) - 1;
		memcpy(errtext, what, n);
		errtext[n] = '\0';
	}
	ERR_clear_error();
}

const char *
tls_error(struct tls *t)
{
	(void)t;
	return errtext;
}

/* The server context of the last certificate and key loaded, kept for
 * the processes forked after (tls_server_preload) and checked against
 * the files on each use, so that a renewed certificate is seen. */
static struct {
	SSL_CTX		*ctx;
	char		*cert, *key;
	struct stat	 cst, kst;
} cache;

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	    a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	    a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static SSL_CTX *
ctx_load(const char *cert, const char *key)
{
	SSL_CTX *ctx = NULL;

	/* OpenSSL 3 initialises itself here, on first use; not cleaning up
	 * at exit spares each session process (forked with the state) its
	 * copy-on-write faults and frees: about 1 ms per connection */
	if (OPENSSL_init_ssl(OPENSSL_INIT_NO_ATEXIT, NULL) != 1 ||
	    (ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		goto fail;
	/* TLS 1.2 at least (RFC 8996 deprecates 1.0 and 1.1) */
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		goto fail;
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
	    SSL_OP_NO_TICKET);
	/* one connection per process: no session cache to share, and no
	 * tickets (TLS 1.2: SSL_OP_NO_TICKET, TLS 1.3: none issued) */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		goto fail;
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		goto fail;
	if (SSL_CTX_check_private_key(ctx) != 1)
		goto fail;
	return ctx;
fail:
	set_error("cannot set up TLS");
	if (ctx != NULL)
		SSL_CTX_free(ctx);
	errno = EPROTO;
	return NULL;
}

/* The context for cert and key, from the cache when the files are those
 * it was loaded from, else loaded (and cached); a new reference. */
static SSL_CTX *
ctx_get(const char *cert, const char *key)
{
	struct stat cst, kst;
	SSL_CTX *ctx;
	char *c, *k;

	if (stat(cert, &cst) == -1 || stat(key, &kst) == -1) {
		set_error(strerror(errno));
		return NULL;
	}
	if (cache.ctx != NULL && strcmp(cache.cert, cert) == 0 &&
	    strcmp(cache.key, key) == 0 && same_file(&cst, &cache.cst) &&
	    same_file(&kst, &cache.kst)) {
		SSL_CTX_up_ref(cache.ctx);
		return cache.ctx;
	}
	if ((ctx = ctx_load(cert, key)) == NULL)
		return NULL;
	if ((c = strdup(cert)) == NULL || (k = strdup(key)) == NULL) {
		free(c);
		return ctx;	/* not cached: no harm */
	}
	if (cache.ctx != NULL)
		SSL_CTX_free(cache.ctx);
	free(cache.cert);
	free(cache.key);
	cache.ctx = ctx;
	cache.cert = c;
	cache.key = k;
	cache.cst = cst;
	cache.kst = kst;
	SSL_CTX_up_ref(ctx);
	return ctx;
}

int
tls_server_preload(const char *cert, const char *key)
{
	SSL_CTX *ctx;

	if ((ctx = ctx_get(cert, key)) == NULL)
		return -1;
	SSL_CTX_free(ctx);	/* the cache keeps its own reference */
	return 0;
}

struct tls *
tls_server_new(const char *cert, const char *key)
{
	struct tls *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->rfd = t->wfd = -1;
	t->timeout_ms = -1;
	t->server = 1;
	if ((t->ctx = ctx_get(cert, key)) == NULL) {
		free(t);
		errno = EPROTO;
		return NULL;
	}
	return t;
}

void
tls_set_timeout(struct tls *t, int ms)
{
	t->timeout_ms = ms;
}

static int
nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1)
		return -1;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Wait for what OpenSSL asked for after a call that returned r. */
static int
wait_io(struct tls *t, int r)
{
	struct pollfd p;
	int e = SSL_get_error(t->ssl, r), n;

	switch (e) {
	case SSL_ERROR_WANT_READ:
		p.fd = t->rfd;
		p.events = POLLIN;
		break;
	case SSL_ERROR_WANT_WRITE:
		p.fd = t->wfd;
		p.events = POLLOUT;
		break;
	case SSL_ERROR_SYSCALL:
		if (errno == 0 || ERR_peek_error() != 0) {
			set_error("unexpected EOF");
			errno = EPROTO;
		}
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		errno = EPIPE;
		return -1;
	default:
		set_error("TLS protocol error");
		errno = EPROTO;
		return -1;
	}
	for (;;) {
		n = poll(&p, 1, t->timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		return 0;
	}
}

/*
 * The server's last handshake message goes before the client's Finished,
 * which gets no answer in TLS 1.3; a client with Nagle's algorithm then
 * holds its next command until our delayed ACK (40 ms on Linux).  An ACK
 * now saves each STARTTLS session that wait.  Not a socket: no matter.
 */
static void
quickack(int fd)
{
#ifdef TCP_QUICKACK
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
#else
	(void)fd;
#endif
}

int
tls_handshake(struct tls *t, int rfd, int wfd)
{
	int r;

	t->rfd = rfd;
	t->wfd = wfd;
	if (nonblock(rfd) == -1 || (wfd != rfd && nonblock(wfd) == -1))
		return -1;
	if ((t->ssl = SSL_new(t->ctx)) == NULL ||
	    SSL_set_rfd(t->ssl, rfd) != 1 || SSL_set_wfd(t->ssl, wfd) != 1) {
		set_error("cannot make a TLS session");
		errno = EPROTO;
		return -1;
	}
	ERR_clear_error();
	for (;;) {
		errno = 0;
		r = t->server ? SSL_accept(t->ssl) : SSL_connect(t->ssl);
		if (r == 1) {
			quickack(rfd);
			return 0;
		}
		if (wait_io(t, r) == -1)
			return -1;
	}
}

ssize_t
tls_read(void *ctx, void *p, size_t n)
{
	struct tls *t = ctx;
	size_t got;
	int r;

	for (;;) {
		errno = 0;
		r = SSL_read_ex(t->ssl, p, n, &got);
		if (r == 1)
			return (ssize_t)got;
		switch (SSL_get_error(t->ssl, r)) {
		case SSL_ERROR_ZERO_RETURN:
			return 0;	/* close_notify */
		case SSL_ERROR_SYSCALL:
			/* TCP EOF without close_notify: EOF for us too;
			 * truncation is the protocol's business (the SMTP
			 * dot, IMAP LOGOUT) */
			if (errno == 0 && ERR_peek_error() == 0)
				return 0;
			if (ERR_peek_error() != 0) {
				set_error("TLS read error");
				errno = EPROTO;
			}
			return -1;
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
		case SSL_ERROR_SSL:
			/* OpenSSL 3 reports the same TCP EOF as an error */
			if (ERR_GET_REASON(ERR_peek_error()) ==
			    SSL_R_UNEXPECTED_EOF_WHILE_READING) {
				ERR_clear_error();
				return 0;
			}
			if (wait_io(t, r) == -1)
				return -1;
			break;
#endif
		default:
			if (wait_io(t, r) == -1)
				return -1;
		}
	}
}

int
tls_write(struct tls *t, const void *p, size_t n)
{
	const char *s = p;
	size_t done;
	int r;

	while (n > 0) {
		errno = 0;
		r = SSL_write_ex(t->ssl, s, n, &done);
		if (r == 1) {
			s += done;
			n -= done;
			continue;
		}
		if (wait_io(t, r) == -1)
			return -1;
	}
	return 0;
}

size_t
tls_pending(struct tls *t)
{
	int n = t->ssl != NULL ? SSL_pending(t->ssl) : 0;

	return n > 0 ? (size_t)n : 0;
}

void
tls_close(struct tls *t)
{
	if (t == NULL)
		return;
	if (t->ssl != NULL) {
		/* one try, no waiting: the peer may be gone */
		(void)SSL_shutdown(t->ssl);
		SSL_free(t->ssl);
	}
	if (t->ctx != NULL)
		SSL_CTX_free(t->ctx);
	ERR_clear_error();
	free(t);
}

const char *
tls_version(struct tls *t)
{
	return t->ssl != NULL ? SSL_get_version(t->ssl) : "";
}

const char *
tls_cipher(struct tls *t)
{
	const SSL_CIPHER *c;
	const char *name;

	if (t->ssl == NULL || (c = SSL_get_current_cipher(t->ssl)) == NULL)
		return "";
	name = SSL_CIPHER_standard_name(c);
	return name != NULL ? name : SSL_CIPHER_get_name(c);
}

int
tls_cipher_bits(struct tls *t)
{
	const SSL_CIPHER *c;

	if (t->ssl == NULL || (c = SSL_get_current_cipher(t->ssl)) == NULL)
		return 0;
	return SSL_CIPHER_get_bits(c, NULL);
}

/*
 * test_tls: the server side of lib/net/tls.c against an OpenSSL client
 * run in a child process, over TCP on loopback, socketpairs and pipes.
 * Keys and self-signed certificates are made here, with OpenSSL's API,
 * in a scratch directory: handshakes (TLS 1.3 and 1.2, RFC 8446, 5246),
 * what is reported of them (RFC 8314 7.4: the IANA cipher suite name),
 * close_notify and EOF, timeouts, the certificate and key files (missing,
 * unreadable, broken, mismatched, a chain) and their reloading.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "base/rd.h"
#include "net/tls.h"
#include "unit.h"

static char *dir;
/* PEM files: a, b (self-signed, CN test-a / test-b), a leaf signed by a
 * CA with the chain leaf+CA, a file with certificate and key together */
static char cert_a[4200], key_a[4200], cert_b[4200], key_b[4200];
static char chain[4200], key_leaf[4200], both[4200];

/* --- keys and certificates ----------------------------------------- */

static EVP_PKEY *
genkey(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	ck_assert_ptr_nonnull(k);
	return k;
}

/* A certificate for key with CN cn, signed by ikey (self-signed when
 * issuer is NULL); a CA when ca. */
static X509 *
mkcert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey, int ca)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_NAME *n;
	X509_EXTENSION *ext;
	X509V3_CTX v3;

	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(X509_set_version(x, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	ck_assert_int_eq(X509_set_pubkey(x, key), 1);
	n = X509_get_subject_name(x);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : n), 1);
	X509V3_set_ctx(&v3, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
	    ca ? "critical,CA:TRUE" : "CA:FALSE");
	ck_assert_ptr_nonnull(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ck_assert_int_gt(X509_sign(x, ikey != NULL ? ikey : key,
	    EVP_sha256()), 0);
	return x;
}

/* Write the certificates (n of them) and then key (if any) to path. */
static void
write_pem(const char *path, X509 **x, int n, EVP_PKEY *key)
{
	FILE *f = fopen(path, "w");
	int i;

	ck_assert_ptr_nonnull(f);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(PEM_write_X509(f, x[i]), 1);
	if (key != NULL)
		ck_assert_int_eq(PEM_write_PrivateKey(f, key, NULL, NULL, 0,
		    NULL, NULL), 1);
	ck_assert_int_eq(fclose(f), 0);
}

static void
name(char *p, const char *file)
{
	snprintf(p, 4200, "%s/%s", dir, file);
}

static void
setup(void)
{
	EVP_PKEY *ka, *kb, *kca, *kl;
	X509 *xa, *xb, *xca, *xl, *ch[2];

	dir = unit_tmpdir();
	ck_assert_ptr_nonnull(dir);
	/* a peer that leaves must not end the test with SIGPIPE */
	signal(SIGPIPE, SIG_IGN);
	name(cert_a, "a.crt");
	name(key_a, "a.key");
	name(cert_b, "b.crt");
	name(key_b, "b.key");
	name(chain, "chain.crt");
	name(key_leaf, "leaf.key");
	name(both, "both.pem");
	ka = genkey();
	kb = genkey();
	kca = genkey();
	kl = genkey();
	xa = mkcert(ka, "test-a", NULL, NULL, 0);
	xb = mkcert(kb, "test-b", NULL, NULL, 0);
	xca = mkcert(kca, "test-ca", NULL, NULL, 1);
	xl = mkcert(kl, "test-leaf", xca, kca, 0);
	write_pem(cert_a, &xa, 1, NULL);
	write_pem(key_a, NULL, 0, ka);
	write_pem(cert_b, &xb, 1, NULL);
	write_pem(key_b, NULL, 0, kb);
	ch[0] = xl;
	ch[1] = xca;
	write_pem(chain, ch, 2, NULL);
	write_pem(key_leaf, NULL, 0, kl);
	write_pem(both, &xa, 1, ka);
	X509_free(xa);
	X509_free(xb);
	X509_free(xca);
	X509_free(xl);
	EVP_PKEY_free(ka);
	EVP_PKEY_free(kb);
	EVP_PKEY_free(kca);
	EVP_PKEY_free(kl);
}

static void
teardown(void)
{
	unit_rm_rf(dir);
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* FNV-1a, to compare large transfers */
static uint32_t
fnv(uint32_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ s[i]) * 16777619u;
	return h;
}

#define FNV0	2166136261u

static void
pattern(struct buf *b, size_t n)
{
	size_t i;

	ck_assert_int_eq(buf_ready(b, n), 0);
	for (i = 0; i < n; i++)
		b->s[i] = (char)(i * 31 + i / 997);
	b->len = n;
}

/* --- the client, in a child process -------------------------------- */

enum cmode {
	C_ECHO,		/* echo what comes until EOF */
	C_SINK,		/* read all, report count and checksum */
	C_SEND,		/* send data (or big bytes), close_notify, drain */
	C_SEND_EOF,	/* send data, then TCP EOF without close_notify */
	C_STALL,	/* handshake, then never read */
	C_RENEG,	/* TLS 1.2: ask to renegotiate */
	C_RAW,		/* send data without TLS */
	C_CLOSE,	/* close at once */
	C_SILENT	/* say nothing, wait for EOF */
};

struct cli {
	enum cmode	 mode;
	int		 minver, maxver;	/* 0: OpenSSL's defaults */
	const char	*suites;	/* TLS 1.3 cipher suites */
	const char	*ciphers;	/* TLS 1.2 cipher list */
	const char	*data;
	size_t		 big;		/* C_SEND: this many pattern bytes */
};

struct conn {
	pid_t	pid;
	int	fd;		/* ours (server side) */
	int	rfd, wfd;	/* when not one socket */
	int	rep;		/* the client's report */
};

/* one item of the report, at once (one write) */
static void
say(int rep, const char *fmt, ...)
{
	char s[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	if (n > 0 && write_all(rep, s, (size_t)n < sizeof(s) ? (size_t)n :
	    sizeof(s) - 1) == -1)
		_exit(3);
}

static void
drain(int fd)
{
	char b[4096];

	while (read(fd, b, sizeof(b)) > 0)
		;
}

static const char *
end_kind(SSL *ssl, int r)
{
	switch (SSL_get_error(ssl, r)) {
	case SSL_ERROR_ZERO_RETURN:
		return "notify";
	case SSL_ERROR_SYSCALL:
		return "eof";
	default:
		return "err";
	}
}

/* After the handshake: what the client sees of it. */
static void
say_session(SSL *ssl, int rep)
{
	STACK_OF(X509) *sk = SSL_get_peer_cert_chain(ssl);
	X509 *peer = SSL_get0_peer_certificate(ssl);
	char cn[256] = "-";

	if (peer != NULL)
		X509_NAME_get_text_by_NID(X509_get_subject_name(peer),
		    NID_commonName, cn, sizeof(cn));
	say(rep, "hs=ok ver=%s cipher=%s bits=%d cn=%s chain=%d ",
	    SSL_get_version(ssl),
	    SSL_CIPHER_standard_name(SSL_get_current_cipher(ssl)),
	    SSL_CIPHER_get_bits(SSL_get_current_cipher(ssl), NULL), cn,
	    sk != NULL ? sk_X509_num(sk) : 0);
}

static void
cli_echo(SSL *ssl, int rep)
{
	SSL_SESSION *s;
	char b[16384];
	int n;

	while ((n = SSL_read(ssl, b, sizeof(b))) > 0)
		if (SSL_write(ssl, b, n) <= 0)
			break;
	say(rep, "end=%s ", end_kind(ssl, n));
	s = SSL_get1_session(ssl);
	say(rep, "resumable=%d ", s != NULL && SSL_SESSION_is_resumable(s));
	SSL_SESSION_free(s);
}

static void
cli_sink(SSL *ssl, int rep)
{
	char b[16384];
	uint32_t h = FNV0;
	size_t total = 0;
	int n;

	while ((n = SSL_read(ssl, b, sizeof(b))) > 0) {
		h = fnv(h, b, (size_t)n);
		total += (size_t)n;
	}
	say(rep, "bytes=%zu sum=%08x end=%s ", total, (unsigned)h,
	    end_kind(ssl, n));
}

static void
cli_send(SSL *ssl, int rfd, int wfd, const struct cli *o, int rep)
{
	struct buf b = BUF_INIT;
	size_t done;
	char tmp[256];

	if (o->big > 0)
		pattern(&b, o->big);
	else if (o->data != NULL && buf_puts(&b, o->data) == -1)
		_exit(3);
	if (b.len > 0 && (SSL_write_ex(ssl, b.s, b.len, &done) != 1 ||
	    done != b.len))
		say(rep, "write=fail ");
	buf_free(&b);
	if (o->mode == C_SEND_EOF) {
		/* TCP EOF, no close_notify */
		if (rfd == wfd)
			shutdown(wfd, SHUT_WR);
		else
			close(wfd);
		drain(rfd);
		return;
	}
	SSL_shutdown(ssl);
	while (SSL_read(ssl, tmp, sizeof(tmp)) > 0)
		;
}

static void
cli_reneg(SSL *ssl, int rfd, int rep)
{
	int r = SSL_renegotiate(ssl);

	if (r == 1)
		r = SSL_do_handshake(ssl);
	say(rep, "reneg=%s ", r == 1 ? "ok" : "fail");
	if (r == 1) {
		(void)SSL_write(ssl, "after\r\n", 7);
		SSL_shutdown(ssl);
	}
	shutdown(rfd, SHUT_WR);
	drain(rfd);
}

static SSL *
cli_connect(int rfd, int wfd, const struct cli *o)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl;

	if (ctx == NULL)
		_exit(3);
	if (o->minver)
		SSL_CTX_set_min_proto_version(ctx, o->minver);
	if (o->maxver)
		SSL_CTX_set_max_proto_version(ctx, o->maxver);
	if (o->suites != NULL && SSL_CTX_set_ciphersuites(ctx, o->suites) != 1)
		_exit(4);
	if (o->ciphers != NULL && SSL_CTX_set_cipher_list(ctx, o->ciphers) != 1)
		_exit(4);
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_rfd(ssl, rfd) != 1 ||
	    SSL_set_wfd(ssl, wfd) != 1)
		_exit(3);
	SSL_CTX_free(ctx);	/* ssl keeps a reference */
	SSL_set_tlsext_host_name(ssl, "mx.example.test");
	if (SSL_connect(ssl) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

static void	client(int, int, int, const struct cli *)
		    __attribute__((noreturn));

static void
client(int rfd, int wfd, int rep, const struct cli *o)
{
	SSL *ssl;

	alarm(10);	/* never outlive the test */
	if (o->mode == C_RAW && write_all(wfd, o->data, strlen(o->data)) == -1)
		_exit(3);
	if (o->mode == C_CLOSE)
		_exit(0);
	if (o->mode == C_RAW || o->mode == C_SILENT) {
		drain(rfd);
		_exit(0);
	}
	if ((ssl = cli_connect(rfd, wfd, o)) == NULL) {
		say(rep, "hs=fail ");
		_exit(0);
	}
	say_session(ssl, rep);
	switch (o->mode) {
	case C_ECHO:
		cli_echo(ssl, rep);
		break;
	case C_SINK:
		cli_sink(ssl, rep);
		break;
	case C_SEND:
	case C_SEND_EOF:
		cli_send(ssl, rfd, wfd, o, rep);
		break;
	case C_STALL:
		pause();
		break;
	case C_RENEG:
		cli_reneg(ssl, rfd, rep);
		break;
	default:
		break;
	}
	SSL_free(ssl);
	_exit(0);
}

/* A connected TCP pair on 127.0.0.1. */
static void
tcp_pair(int sv[2])
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int l;

	l = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ne(l, -1);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)&a, &len), 0);
	sv[1] = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ne(sv[1], -1);
	ck_assert_int_eq(connect(sv[1], (struct sockaddr *)&a, sizeof(a)), 0);
	sv[0] = accept(l, NULL, NULL);
	ck_assert_int_ne(sv[0], -1);
	close(l);
}

enum link { L_UNIX, L_TCP, L_PIPES };

/* Start a client of kind o on a new link; c->fd (or c->rfd, c->wfd) is
 * our end. */
static void
start(struct conn *c, const struct cli *o, enum link how)
{
	int sv[2] = { -1, -1 }, up[2] = { -1, -1 }, down[2] = { -1, -1 };
	int rep[2];

	ck_assert_int_eq(pipe(rep), 0);
	if (how == L_PIPES) {
		ck_assert_int_eq(pipe(up), 0);	/* client -> us */
		ck_assert_int_eq(pipe(down), 0);	/* us -> client */
	} else if (how == L_TCP)
		tcp_pair(sv);
	else
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fflush(NULL);
	c->pid = fork();
	ck_assert_int_ne(c->pid, -1);
	if (c->pid == 0) {
		signal(SIGALRM, SIG_DFL);
		close(rep[0]);
		if (how == L_PIPES) {
			close(up[0]);
			close(down[1]);
			client(down[0], up[1], rep[1], o);
		}
		close(sv[0]);
		client(sv[1], sv[1], rep[1], o);
	}
	close(rep[1]);
	c->rep = rep[0];
	if (how == L_PIPES) {
		close(up[1]);
		close(down[0]);
		c->rfd = up[0];
		c->wfd = down[1];
		c->fd = -1;
	} else {
		close(sv[1]);
		c->fd = c->rfd = c->wfd = sv[0];
	}
}

/* Close our end, and read the client's report until it exits. */
static void
finish(struct conn *c, struct buf *report)
{
	struct pollfd p;
	char tmp[512];
	ssize_t n;
	int st;

	close(c->rfd);
	if (c->wfd != c->rfd)
		close(c->wfd);
	buf_reset(report);
	p.fd = c->rep;
	p.events = POLLIN;
	for (;;) {
		ck_assert_msg(poll(&p, 1, 10000) == 1, "client hangs");
		if ((n = read(c->rep, tmp, sizeof(tmp))) <= 0)
			break;
		ck_assert_int_eq(buf_put(report, tmp, (size_t)n), 0);
	}
	if (report->s == NULL)
		ck_assert_int_eq(buf_puts(report, ""), 0);
	close(c->rep);
	ck_assert_int_eq(waitpid(c->pid, &st, 0), c->pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "client status %#x, report: %s", st, report->s);
}

#define ck_report(r, text)	ck_assert_msg(strstr((r)->s, (text)) != NULL, \
	"no '%s' in the client's report: %s", (text), (r)->s)

/* A server object for cert/key, its handshake done on c. */
static struct tls *
serve(const char *cert, const char *key, struct conn *c)
{
	struct tls *t = tls_server_new(cert, key);

	ck_assert_msg(t != NULL, "tls_server_new: %s", tls_error(NULL));
	tls_set_timeout(t, 5000);
	ck_assert_msg(tls_handshake(t, c->rfd, c->wfd) == 0,
	    "handshake: %s (%s)", strerror(errno), tls_error(t));
	return t;
}

/* Read exactly n bytes (bounded by the timeout). */
static void
read_n(struct tls *t, struct buf *b, size_t n)
{
	char tmp[4096];
	ssize_t k;

	buf_reset(b);
	while (b->len < n) {
		k = tls_read(t, tmp, n - b->len < sizeof(tmp) ? n - b->len :
		    sizeof(tmp));
		ck_assert_msg(k > 0, "tls_read %zd: %s", k, strerror(errno));
		ck_assert_int_eq(buf_put(b, tmp, (size_t)k), 0);
	}
}

/* --- handshakes and what they report ------------------------------- */

/*
 * TLS 1.3 over TCP: the version and the IANA suite name the client sees
 * too, data both ways, the descriptors now non-blocking, and close_notify
 * at tls_close.  No session tickets: nothing to resume.
 */
START_TEST(t_handshake_tcp)
{
	struct cli o = { .mode = C_ECHO };
	struct buf b = BUF_INIT, rep = BUF_INIT, want = BUF_INIT;
	struct conn c;
	struct tls *t;

	start(&c, &o, L_TCP);
	t = serve(cert_a, key_a, &c);
	ck_assert_str_eq(tls_version(t), "TLSv1.3");
	ck_assert_int_eq(strncmp(tls_cipher(t), "TLS_", 4), 0);
	ck_assert_int_ge(tls_cipher_bits(t), 128);
	ck_assert_int_ne(fcntl(c.fd, F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_eq(tls_write(t, "220 hello\r\n", 11), 0);
	read_n(t, &b, 11);
	ck_assert_str_eq(b.s, "220 hello\r\n");
	ck_assert_int_eq(buf_printf(&want, "ver=TLSv1.3 cipher=%s bits=%d "
	    "cn=test-a chain=1 ", tls_cipher(t), tls_cipher_bits(t)), 0);
	tls_close(t);
	finish(&c, &rep);
	ck_report(&rep, want.s);
	ck_report(&rep, "end=notify");
	ck_report(&rep, "resumable=0");
	buf_free(&b);
	buf_free(&rep);
	buf_free(&want);
}
END_TEST

/* One TLS 1.3 handshake where the client offers only suites. */
static void
tls13_with(const char *suites, const char *want, int bits)
{
	struct cli o = { .mode = C_ECHO, .suites = suites };
	struct buf rep = BUF_INIT;
	struct conn c;
	struct tls *t;

	start(&c, &o, L_UNIX);
	t = serve(cert_a, key_a, &c);
	ck_assert_str_eq(tls_version(t), "TLSv1.3");
	ck_assert_str_eq(tls_cipher(t), want);
	ck_assert_int_eq(tls_cipher_bits(t), bits);
	tls_close(t);
	finish(&c, &rep);
	ck_report(&rep, want);
	buf_free(&rep);
}

/* The suite and its bits as negotiated; among the client's offers the
 * server's preference decides (AES-256 before AES-128). */
START_TEST(t_tls13_suites)
{
	tls13_with("TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256", 128);
	tls13_with("TLS_CHACHA20_POLY1305_SHA256",
	    "TLS_CHACHA20_POLY1305_SHA256", 256);
	tls13_with("TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384", 256);
	tls13_with("TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384",
	    "TLS_AES_256_GCM_SHA384", 256);
}
END_TEST

/* One TLS 1.2 handshake with the client's cipher list. */
static void
tls12_with(const char *ciphers, const char *want, int bits)
{
	struct cli o = { .mode = C_ECHO, .maxver = TLS1_2_VERSION,
	    .ciphers = ciphers };
	struct buf b = BUF_INIT, rep = BUF_INIT;
	struct conn c;
	struct tls *t;

	start(&c, &o, L_UNIX);
	t = serve(cert_a, key_a, &c);
	ck_assert_str_eq(tls_version(t), "TLSv1.2");
	/* the IANA name (RFC 8314 7.4), not OpenSSL's "ECDHE-..." */
	ck_assert_str_eq(tls_cipher(t), want);
	ck_assert_int_eq(tls_cipher_bits(t), bits);
	ck_assert_int_eq(tls_write(t, "ping", 4), 0);
	read_n(t, &b, 4);
	ck_assert_str_eq(b.s, "ping");
	tls_close(t);
	finish(&c, &rep);
	ck_report(&rep, "ver=TLSv1.2");
	ck_report(&rep, want);
	ck_report(&rep, "end=notify");
	buf_free(&b);
	buf_free(&rep);
}

START_TEST(t_tls12)
{
	tls12_with("ECDHE-ECDSA-AES128-GCM-SHA256",
	    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 128);
	tls12_with("ECDHE-ECDSA-AES256-GCM-SHA384",
	    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 256);
	tls12_with("ECDHE-ECDSA-CHACHA20-POLY1305",
	    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 256);
}
END_TEST

/* TLS 1.0 and 1.1 are refused (RFC 8996): -1 EPROTO with a text. */
START_TEST(t_old_versions)
{
	static const int vers[] = { TLS1_VERSION, TLS1_1_VERSION };
	struct buf rep = BUF_INIT;
	struct conn c;
	struct tls *t;
	size_t i;

	for (i = 0; i < 2; i++) {
		struct cli o = { .mode = C_ECHO, .maxver = vers[i],
		    .ciphers = "DEFAULT@SECLEVEL=0" };

		start(&c, &o, L_UNIX);
		t = tls_server_new(cert_a, key_a);
		ck_assert_ptr_nonnull(t);
		tls_set_timeout(t, 5000);
		errno = 0;
		ck_assert_int_eq(tls_handshake(t, c.fd, c.fd), -1);
		ck_assert_int_eq(errno, EPROTO);
		ck_assert_str_ne(tls_error(t), "");
		tls_close(t);
		finish(&c, &rep);
		ck_report(&rep, "hs=fail");
	}
	buf_free(&rep);
}
END_TEST

/* No renegotiation (a client-initiated one is a DoS lever): the client's
 * request fails and nothing it sends after gets through. */
START_TEST(t_no_renegotiation)
{
	struct cli o = { .mode = C_RENEG, .maxver = TLS1_2_VERSION };
	struct buf rep = BUF_INIT;
	struct conn c;
	struct tls *t;
	char tmp[64];

	start(&c, &o, L_UNIX);
	t = serve(cert_a, key_a, &c);
	ck_assert_int_le(tls_read(t, tmp, sizeof(tmp)), 0);
	tls_close(t);
	finish(&c, &rep);
	ck_report(&rep, "reneg=fail");
	buf_free(&rep);
}
END_TEST

/* fds 0 and 1 style: reading one pipe and writing another. */
START_TEST(t_two_pipes)
{
	struct cli o = { .mode = C_ECHO };
	struct buf b = BUF_INIT, rep = BUF_INIT;
	struct conn c;
	struct tls *t;

	start(&c, &o, L_PIPES);
	t = serve(cert_a, key_a, &c);
	ck_assert_int_ne(fcntl(c.rfd, F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_ne(fcntl(c.wfd, F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_eq(tls_write(t, "250 ok\r\n", 8), 0);
	read_n(t, &b, 8);
	ck_assert_str_eq(b.s, "250 ok\r\n");
	tls_close(t);
	finish(&c, &rep);
	ck_report(&rep, "hs=ok ver=TLSv1.3");
	ck_report(&rep, "end=notify");
	buf_free(&b);
	buf_free(&rep);
}
END_TEST

/* --- reading, writing, the end ------------------------------------- */

/* Data then close_notify: tls_read gives the data, then 0. */
START_TEST(t_close_notify)
{
	struct cli o = { .mode = C_SEND, .data = "QUIT\r\n" };
	struct buf b = BUF_INIT, rep = BUF_INIT;
	struct conn c;
	struct tls *t;
	char tmp[64];

	start(&c, &o, L_UNIX);
	t = serve(cert_a, key_a, &c);
	read_n(t, &b, 6);
	ck_assert_str_eq(b.s, "QUIT\r\n");
	ck_assert_int_eq(tls_read(t, tmp, sizeof(tmp)), 0);
	ck_assert_int_eq(tls_read(t, tmp, sizeof(tmp)), 0);	/* stays */
	tls_close(t);
	finish(&c, &rep);
	buf_free(&b);
	buf_free(&rep);
}
END_TEST

/*
 * Data then TCP EOF without close_notify: the header promises 0 ("0 at
 * EOF (close_notify or TCP EOF)"), the SMTP dot or IMAP LOGOUT deciding
 * whether anything was cut.
 *
 * BUG (reported, not fixed here): OpenSSL 3 reports such an EOF as
 * SSL_ERROR_SSL ("unexpected eof while reading") unless the context has
 * SSL_OP_IGNORE_UNEXPECTED_EOF; tls_read only expects SSL_ERROR_SYSCALL
 * there, so it returns -1 EPROTO instead of 0.
 */
START_TEST(t_tcp_eof)
{
	struct cli o = { .mode = C_SEND_EOF, .data = "QUIT\r\n" };
	struct buf b = BUF_INIT, rep = BUF_INIT;
	struct conn c;
	struct tls *t;
	char tmp[64], why[256];
	ssize_t r;
	int e;

	start(&c, &o, L_TCP);
	t = serve(cert_a, key_a, &c);
	read_n(t, &b, 6);
	ck_assert_str_eq(b.s, "QUIT\r\n");
	errno = 0;
	r = tls_read(t, tmp, sizeof(tmp));
	e = errno;
	snprintf(why, sizeof(why), "%s", tls_error(t));
	tls_close(t);
	finish(&c, &rep);
	buf_free(&b);
	buf_free(&rep);
	unit_rm_rf(dir);	/* a failed test gets no teardown */
	ck_assert_msg(r == 0, "BUG: TCP EOF gives %zd (%s: %s), not 0", r,
	    strerror(e), why);
}
END_TEST

/*
 * Bytes held by OpenSSL after a short read are tls_pending; and tls_read
 * drives an rd reader (lib/base/rd.h), which gets the lines, then EOF.
 */
START_TEST(t_pending_and_rd)
{
	static const char msg[] = "EHLO a.example\r\nMAIL FROM:<>\r\nQUIT\r\n";
	struct cli o = { .mode = C_SEND, .data = msg };
	struct buf b = BUF_INIT, line = BUF_INIT, rep = BUF_INIT;
	struct conn c;
	struct tls *t;
	struct rd r;

	start(&c, &o, L_UNIX);
	t = tls_server_new(cert_a, key_a);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(tls_pending(t), 0);	/* no session yet */
	tls_set_timeout(t, 5000);
	ck_assert_int_eq(tls_handshake(t, c.fd, c.fd), 0);
	read_n(t, &b, 5);
	ck_assert_str_eq(b.s, "EHLO ");
	ck_assert_uint_eq(tls_pending(t), strlen(msg) - 5);
	rd_init(&r, -1, 5000);
	r.read = tls_read;
	r.ctx = t;
	ck_assert_int_eq(rd_line(&r, &line, 512), 1);
	ck_assert_str_eq(line.s, "a.example\r\n");
	ck_assert_uint_eq(tls_pending(t), 0);	/* all in rd's buffer now */
	ck_assert_int_eq(rd_line(&r, &line, 512), 1);
	ck_assert_str_eq(line.s, "MAIL FROM:<>\r\n");
	ck_assert_int_eq(rd_line(&r, &line, 512), 1);
	ck_assert_str_eq(line.s, "QUIT\r\n");
	ck_assert_int_eq(rd_line(&r, &line, 512), 0);
	tls_close(t);
	finish(&c, &rep);
	buf_free(&b);
	buf_free(&line);
	buf_free(&rep);
}
END_TEST

#define BIG	(6u * 1024 * 1024)

/* 6 MB each way: larger than any socket buffer, so every write waits
 * for the peer and every read for data (the non-blocking paths). */
START_TEST(t_large)
{
	struct cli sink = { .mode = C_SINK }, src = { .mode = C_SEND,
	    .big = BIG };
	struct buf msg = BUF_INIT, b = BUF_INIT, rep = BUF_INIT;
	char want[64], tmp[16384];
	struct conn c;
	struct tls *t;
	uint32_t h = FNV0;
	size_t total = 0;
	ssize_t k;

	pattern(&msg, BIG);
	start(&c, &sink, L_TCP);
	t = serve(cert_a, key_a, &c);
	ck_assert_int_eq(tls_write(t, msg.s, msg.len), 0);
	tls_close(t);
	finish(&c, &rep);
	snprintf(want, sizeof(want), "bytes=%u sum=%08x end=notify", BIG,
	    (unsigned)fnv(FNV0, msg.s, msg.len));
	ck_report(&rep, want);

	start(&c, &src, L_TCP);
	t = serve(cert_a, key_a, &c);
	while ((k = tls_read(t, tmp, sizeof(tmp))) > 0) {
		h = fnv(h, tmp, (size_t)k);
		total += (size_t)k;
	}
	ck_assert_int_eq(k, 0);
	ck_assert_uint_eq(total, BIG);
	ck_assert_uint_eq(h, fnv(FNV0, msg.s, msg.len));
	tls_close(t);
	finish(&c, &rep);
	buf_free(&msg);
	buf_free(&b);
	buf_free(&rep);
}
END_TEST

/* --- failures during the handshake --------------------------------- */

/* A client that speaks SMTP, not TLS: -1 EPROTO, a text. */
START_TEST(t_not_tls)
{
	struct cli o = { .mode = C_RAW, .data = "EHLO x.example\r\n" };
	struct buf rep = BUF_INIT;
	struct conn c;
	struct tls *t;

	ck_assert_str_eq(tls_error(NULL), "");	/* nothing failed yet */
	start(&c, &o, L_UNIX);
	t = tls_server_new(cert_a, key_a);
	ck_assert_ptr_nonnull(t);
	tls_set_timeout(t, 5000);
	errno = 0;
	ck_assert_int_eq(tls_handshake(t, c.fd, c.fd), -1);
	ck_assert_int_eq(errno, EPROTO);
	ck_assert_str_ne(tls_error(t), "");
	tls_close(t);
	finish(&c, &rep);
	buf_free(&rep);
}
END_TEST

/* A client that leaves before the handshake: -1 at once, errno saying
 * so (EPROTO, or EPIPE / ECONNRESET for the connection's end). */
START_TEST(t_peer_gone)
{
	struct cli o = { .mode = C_CLOSE };
	struct buf rep = BUF_INIT;
	struct conn c;
	struct tls *t;
	long t0;

	start(&c, &o, L_UNIX);
	t = tls_server_new(cert_a, key_a);
	ck_assert_ptr_nonnull(t);
	tls_set_timeout(t, 5000);
	t0 = now_ms();
	errno = 0;
	ck_assert_int_eq(tls_handshake(t, c.fd, c.fd), -1);
	ck_assert_msg(errno == EPROTO || errno == EPIPE || errno == ECONNRESET,
	    "errno %d (%s)", errno, strerror(errno));
	ck_assert_int_lt(now_ms() - t0, 3000);
	tls_close(t);
	finish(&c, &rep);
	buf_free(&rep);
}
END_TEST

/* A client that says nothing: ETIMEDOUT after about the timeout. */
START_TEST(t_timeout_handshake)
{
	struct cli o = { .mode = C_SILENT };
	struct buf rep = BUF_INIT;
	struct conn c;
	struct tls *t;
	long t0, dt;

	start(&c, &o, L_UNIX);
	t = tls_server_new(cert_a, key_a);
	ck_assert_ptr_nonnull(t);
	tls_set_timeout(t, 200);
	t0 = now_ms();
	errno = 0;
	ck_assert_int_eq(tls_handshake(t, c.fd, c.fd), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	dt = now_ms() - t0;
	ck_assert_int_ge(dt, 190);
	ck_assert_int_lt(dt, 3000);
	tls_close(t);
	finish(&c, &rep);
	buf_free(&rep);
}
END_TEST

/* After the handshake: a read with nothing coming, and a write the
 * client never reads, both end with ETIMEDOUT. */
START_TEST(t_timeout_io)
{
	struct cli echo = { .mode = C_ECHO }, stall = { .mode = C_STALL };
	struct buf msg = BUF_INIT, rep = BUF_INIT;
	struct conn c;
	struct tls *t;
	char tmp[64];
	long t0;

	start(&c, &echo, L_UNIX);
	t = serve(cert_a, key_a, &c);
	tls_set_timeout(t, 200);
	t0 = now_ms();
	errno = 0;
	ck_assert_int_eq(tls_read(t, tmp, sizeof(tmp)), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_int_ge(now_ms() - t0, 190);
	/* the session still works after a timeout */
	tls_set_timeout(t, 5000);
	ck_assert_int_eq(tls_write(t, "x", 1), 0);
	ck_assert_int_eq(tls_read(t, tmp, sizeof(tmp)), 1);
	tls_close(t);
	finish(&c, &rep);

	pattern(&msg, 16u * 1024 * 1024);
	start(&c, &stall, L_UNIX);
	t = serve(cert_a, key_a, &c);
	tls_set_timeout(t, 300);
	t0 = now_ms();
	errno = 0;
	ck_assert_int_eq(tls_write(t, msg.s, msg.len), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_int_lt(now_ms() - t0, 5000);
	tls_close(t);
	kill(c.pid, SIGKILL);
	close(c.fd);
	close(c.rep);
	ck_assert_int_eq(waitpid(c.pid, NULL, 0), c.pid);
	buf_free(&msg);
	buf_free(&rep);
}
END_TEST

/* Nothing to report before a handshake; a bad descriptor fails it;
 * tls_close takes NULL and an object never used. */
START_TEST(t_before_handshake)
{
	struct tls *t = tls_server_new(cert_a, key_a);

	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(tls_version(t), "");
	ck_assert_str_eq(tls_cipher(t), "");
	ck_assert_int_eq(tls_cipher_bits(t), 0);
	ck_assert_uint_eq(tls_pending(t), 0);
	tls_close(t);
	tls_close(NULL);
	t = tls_server_new(cert_a, key_a);
	ck_assert_ptr_nonnull(t);
	errno = 0;
	ck_assert_int_eq(tls_handshake(t, -1, -1), -1);
	ck_assert_int_eq(errno, EBADF);
	tls_close(t);
}
END_TEST

/* --- certificate and key files ------------------------------------- */

/* tls_server_new fails: NULL, errno set, a text saying why. */
#define ck_new_fails(cert, key, text) do {				\
	errno = 0;							\
	ck_assert_ptr_null(tls_server_new((cert), (key)));		\
	ck_assert_int_ne(errno, 0);					\
	ck_assert_msg(strstr(tls_error(NULL), (text)) != NULL,		\
	    "error text '%s' lacks '%s'", tls_error(NULL), (text));	\
} while (0)

START_TEST(t_files_missing)
{
	char nope[4200];

	name(nope, "nonexistent.pem");
	ck_new_fails(nope, key_a, "No such file");
	ck_new_fails(cert_a, nope, "No such file");
	ck_assert_int_eq(tls_server_preload(nope, key_a), -1);
	ck_assert_int_eq(tls_server_preload(cert_a, nope), -1);
}
END_TEST

/* Not PEM, empty, a key where the certificate goes and back, a
 * directory: refused with OpenSSL's reason. */
START_TEST(t_files_broken)
{
	static const char pem[] = "-----BEGIN CERTIFICATE-----\n"
	    "bm90IGEgY2VydA==\n-----END CERTIFICATE-----\n";
	char junk[4200], empty[4200];

	name(junk, "junk.pem");
	name(empty, "empty.pem");
	ck_assert_int_eq(atomic_replace(junk, pem, strlen(pem), 0600), 0);
	ck_assert_int_eq(atomic_replace(empty, "", 0, 0600), 0);
	ck_new_fails(junk, key_a, "");
	ck_assert_str_ne(tls_error(NULL), "");
	ck_new_fails(empty, key_a, "");
	ck_assert_str_ne(tls_error(NULL), "");
	ck_new_fails(cert_a, junk, "");
	ck_assert_str_ne(tls_error(NULL), "");
	ck_new_fails(cert_a, empty, "");
	ck_assert_str_ne(tls_error(NULL), "");
	ck_new_fails(key_a, cert_a, "");	/* swapped */
	ck_assert_str_ne(tls_error(NULL), "");
	ck_new_fails(dir, key_a, "");
	ck_assert_str_ne(tls_error(NULL), "");
	errno = 0;
	ck_assert_int_eq(tls_server_preload(junk, key_a), -1);
	ck_assert_int_eq(errno, EPROTO);
}
END_TEST

/* A key that is not the certificate's. */
START_TEST(t_files_mismatch)
{
	errno = 0;
	ck_assert_ptr_null(tls_server_new(cert_a, key_b));
	ck_assert_int_eq(errno, EPROTO);
	ck_assert_str_ne(tls_error(NULL), "");
	ck_assert_ptr_null(tls_server_new(chain, key_a));
	ck_assert_int_eq(tls_server_preload(cert_b, key_a), -1);
	ck_assert_str_ne(tls_error(NULL), "");
}
END_TEST

/* As an unprivileged user (a child, when we are root): the pair works
 * while readable, and fails once the key is mode 0. */
static int
new_as_user(void)
{
	struct tls *t;

	if (geteuid() == 0 && (setgid(65534) == -1 || setuid(65534) == -1))
		return 3;
	if ((t = tls_server_new(cert_a, key_a)) == NULL)
		return strstr(tls_error(NULL), "denied") != NULL ? 1 : 2;
	tls_close(t);
	return 0;
}

static int
new_unprivileged(void)
{
	pid_t pid;
	int st;

	if (geteuid() != 0)
		return new_as_user();
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0)
		_exit(new_as_user());
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

START_TEST(t_files_unreadable)
{
	ck_assert_int_eq(chmod(dir, 0711), 0);
	ck_assert_int_eq(chmod(cert_a, 0644), 0);
	ck_assert_int_eq(chmod(key_a, 0644), 0);
	ck_assert_int_eq(new_unprivileged(), 0);
	ck_assert_int_eq(chmod(key_a, 0), 0);
	/* 1: refused with "Permission denied" */
	ck_assert_int_eq(new_unprivileged(), 1);
	ck_assert_int_eq(chmod(key_a, 0600), 0);
	ck_assert_int_eq(chmod(cert_a, 0), 0);
	ck_assert_int_eq(new_unprivileged(), 1);
}
END_TEST

/* The certificate file is a chain: the client gets leaf and CA. */
START_TEST(t_chain_file)
{
	struct cli o = { .mode = C_ECHO };
	struct buf rep = BUF_INIT;
	struct conn c;
	struct tls *t;

	start(&c, &o, L_UNIX);
	t = serve(chain, key_leaf, &c);
	tls_close(t);
	finish(&c, &rep);
	ck_report(&rep, "cn=test-leaf chain=2");
	buf_free(&rep);
}
END_TEST

/* Certificate and key in one file, named for both. */
START_TEST(t_combined_file)
{
	struct cli o = { .mode = C_ECHO };
	struct buf rep = BUF_INIT;
	struct conn c;
	struct tls *t;

	start(&c, &o, L_UNIX);
	t = serve(both, both, &c);
	tls_close(t);
	finish(&c, &rep);
	ck_report(&rep, "cn=test-a chain=1");
	buf_free(&rep);
}
END_TEST

/* --- preloading and reloading -------------------------------------- */

/* The CN the client sees from tls_server_new(cert, key). */
static void
ck_serves(const char *cert, const char *key, const char *cn)
{
	struct cli o = { .mode = C_ECHO };
	struct buf rep = BUF_INIT;
	char want[64];
	struct conn c;
	struct tls *t;

	start(&c, &o, L_UNIX);
	t = serve(cert, key, &c);
	tls_close(t);
	finish(&c, &rep);
	snprintf(want, sizeof(want), "cn=%s ", cn);
	ck_report(&rep, want);
	buf_free(&rep);
}

/* Copy file from into to: atomically (a new inode), or in place. */
static void
copy(const char *from, const char *to, int in_place)
{
	struct buf b = BUF_INIT;
	int fd;

	ck_assert_int_eq(read_file(from, &b, 1 << 20), 0);
	if (!in_place)
		ck_assert_int_eq(atomic_replace(to, b.s, b.len, 0600), 0);
	else {
		fd = open(to, O_WRONLY | O_TRUNC);
		ck_assert_int_ne(fd, -1);
		ck_assert_int_eq(write_all(fd, b.s, b.len), 0);
		close(fd);
	}
	buf_free(&b);
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Renewed files are seen by the next tls_server_new, whether renamed
 * over the old ones or rewritten in place; a broken or half-renewed pair
 * fails (it does not silently serve the old one) until it is whole.
 */
START_TEST(t_reload)
{
	char cert[4200], key[4200];

	name(cert, "cert.pem");
	name(key, "key.pem");
	copy(cert_a, cert, 0);
	copy(key_a, key, 0);
	ck_assert_int_eq(tls_server_preload(cert, key), 0);
	ck_serves(cert, key, "test-a");
	/* renamed over: B */
	copy(cert_b, cert, 0);
	copy(key_b, key, 0);
	ck_serves(cert, key, "test-b");
	/* rewritten in place, same inodes: A again */
	sleep_ms(20);
	copy(cert_a, cert, 1);
	copy(key_a, key, 1);
	ck_serves(cert, key, "test-a");
	/* half renewed: a new certificate, the old key */
	sleep_ms(20);
	copy(cert_b, cert, 0);
	ck_assert_ptr_null(tls_server_new(cert, key));
	copy(key_b, key, 0);
	ck_serves(cert, key, "test-b");
	/* a broken key */
	ck_assert_int_eq(atomic_replace(key, "junk\n", 5, 0600), 0);
	ck_assert_ptr_null(tls_server_new(cert, key));
	ck_assert_int_eq(tls_server_preload(cert, key), -1);
	copy(key_b, key, 0);
	ck_assert_int_eq(tls_server_preload(cert, key), 0);
	ck_serves(cert, key, "test-b");
	/* another pair of names next to it */
	ck_serves(cert_a, key_a, "test-a");
	ck_serves(cert, key, "test-b");
}
END_TEST

/* Bytes this process has read (Linux /proc/self/io "rchar"); -1 when it
 * cannot be known. */
static long
rchar(void)
{
	char b[1024], *p;
	ssize_t n;
	int fd = open("/proc/self/io", O_RDONLY);

	if (fd == -1)
		return -1;
	n = read(fd, b, sizeof(b) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	b[n] = '\0';
	if ((p = strstr(b, "rchar: ")) == NULL)
		return -1;
	return atol(p + 7);
}

/* Bytes read by tls_server_new(cert, key), less rchar's own reading. */
static long
bytes_read_by_new(const char *cert, const char *key)
{
	struct tls *t;
	long r0, r1, r2;

	r0 = rchar();
	r1 = rchar();
	t = tls_server_new(cert, key);
	r2 = rchar();
	ck_assert_ptr_nonnull(t);
	tls_close(t);
	return (r2 - r1) - (r1 - r0);
}

/*
 * After tls_server_preload, tls_server_new with the same files reads no
 * file (it is made in the listening process before each fork); the
 * files read without a preload show what that would be, and also what
 * a forked child reads after the preload (nothing).
 */
START_TEST(t_preload_cached)
{
	struct stat sc, sk;
	pid_t pid;
	long cold;
	int st;

	if (rchar() == -1)
		return;		/* no /proc/self/io: nothing to measure */
	ck_assert_int_eq(stat(cert_b, &sc), 0);
	ck_assert_int_eq(stat(key_b, &sk), 0);
	ck_assert_int_eq(tls_server_preload(cert_a, key_a), 0);
	cold = bytes_read_by_new(cert_b, key_b);	/* not preloaded */
	ck_assert_int_ge(cold, sc.st_size + sk.st_size);
	ck_assert_int_eq(tls_server_preload(cert_a, key_a), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0)
		_exit(bytes_read_by_new(cert_a, key_a) < 64 ? 0 : 1);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "a forked process read the files again");
	ck_assert_int_lt(bytes_read_by_new(cert_a, key_a), 64);
}
END_TEST

static Suite *
tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *th = tcase_create("handshake");
	TCase *ti = tcase_create("io");
	TCase *tf = tcase_create("files");

	tcase_add_checked_fixture(th, setup, teardown);
	tcase_set_timeout(th, 20);
	tcase_add_test(th, t_handshake_tcp);
	tcase_add_test(th, t_tls13_suites);
	tcase_add_test(th, t_tls12);
	tcase_add_test(th, t_old_versions);
	tcase_add_test(th, t_no_renegotiation);
	tcase_add_test(th, t_two_pipes);
	tcase_add_test(th, t_not_tls);
	tcase_add_test(th, t_peer_gone);
	tcase_add_test(th, t_timeout_handshake);
	tcase_add_test(th, t_before_handshake);
	suite_add_tcase(s, th);

	tcase_add_checked_fixture(ti, setup, teardown);
	tcase_set_timeout(ti, 30);
	tcase_add_test(ti, t_close_notify);
	tcase_add_test(ti, t_tcp_eof);
	tcase_add_test(ti, t_pending_and_rd);
	tcase_add_test(ti, t_large);
	tcase_add_test(ti, t_timeout_io);
	suite_add_tcase(s, ti);

	tcase_add_checked_fixture(tf, setup, teardown);
	tcase_set_timeout(tf, 20);
	tcase_add_test(tf, t_files_missing);
	tcase_add_test(tf, t_files_broken);
	tcase_add_test(tf, t_files_mismatch);
	tcase_add_test(tf, t_files_unreadable);
	tcase_add_test(tf, t_chain_file);
	tcase_add_test(tf, t_combined_file);
	tcase_add_test(tf, t_reload);
	tcase_add_test(tf, t_preload_cached);
	suite_add_tcase(s, tf);
	return s;
}

UNIT_MAIN(tls_suite)

// SPDX-License-Identifier: GPL-2.0
/*
 * The cluster PKI: an Ed25519 CA, node certificates whose only identity is a
 * SAN URI synapse://<cluster>/node/<id>, and a CRL. Used by `synctl ca` to
 * make the files and by synapsed to load them and to sign/verify messages.
 *
 * Private keys are created with mode 0600 and O_EXCL (never overwritten);
 * OpenSSL wipes key material when an EVP_PKEY is freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "agent/identity/pki.h"

void pki_openssl_err(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "unknown error";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	snprintf(err, errlen, "%s: %s", what, buf);
}

static int path_join(char *out, size_t len, const char *dir, const char *name)
{
	int n = snprintf(out, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static EVP_PKEY *gen_ed25519(void)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	EVP_PKEY *key = NULL;

	if (!ctx)
		return NULL;
	if (EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_keygen(ctx, &key) <= 0)
		key = NULL;
	EVP_PKEY_CTX_free(ctx);
	return key;
}

/* Private keys: created 0600, never over an existing file. */
static int write_key(const char *path, EVP_PKEY *key, char *err, size_t errlen)
{
	FILE *f;
	int fd, ok;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(path);
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	if (fclose(f) || !ok) {
		unlink(path);
		snprintf(err, errlen, "%s: write failed", path);
		return -1;
	}
	return 0;
}

/* Public files go through a temp file + rename so readers never see half. */
static int write_public(const char *path, X509 *cert, X509_CRL *crl,
			char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	FILE *f;
	int fd, ok;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f) {
		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	ok = cert ? PEM_write_X509(f, cert) : PEM_write_X509_CRL(f, crl);
	if (fclose(f) || !ok || rename(tmp, path)) {
		unlink(tmp);
		snprintf(err, errlen, "%s: write failed", path);
		return -1;
	}
	return 0;
}

EVP_PKEY *pki_load_key(const char *path, char *err, size_t errlen)
{
	struct stat st;
	EVP_PKEY *key;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077)) {
		fclose(f);
		snprintf(err, errlen, "%s: private key readable by others (mode %03o, want 0600)",
			 path, st.st_mode & 0777);
		return NULL;
	}
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!key) {
		pki_openssl_err(err, errlen, path);
		return NULL;
	}
	if (EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(key);
		snprintf(err, errlen, "%s: not an Ed25519 key", path);
		return NULL;
	}
	return key;
}

X509 *pki_load_cert(const char *path, char *err, size_t errlen)
{
	X509 *cert;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!cert)
		pki_openssl_err(err, errlen, path);
	return cert;
}

X509_CRL *pki_load_crl(const char *path, char *err, size_t errlen)
{
	X509_CRL *crl;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	crl = PEM_read_X509_CRL(f, NULL, NULL, NULL);
	fclose(f);
	if (!crl)
		pki_openssl_err(err, errlen, path);
	return crl;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return -1;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

static int random_serial(X509 *cert)
{
	unsigned char raw[16];
	ASN1_INTEGER *ai;
	BIGNUM *bn;
	int ret = -1;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	raw[0] &= 0x7f;		/* positive, 127 bits of entropy */
	raw[0] |= 0x40;		/* fixed length */
	bn = BN_bin2bn(raw, sizeof(raw), NULL);
	if (!bn)
		return -1;
	ai = BN_to_ASN1_INTEGER(bn, NULL);
	if (ai && X509_set_serialNumber(cert, ai))
		ret = 0;
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return ret;
}

static int set_name(X509_NAME *name, const char *cn, const char *cluster)
{
	if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
					(const unsigned char *)"synapse", -1,
					-1, 0))
		return -1;
	if (!X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_UTF8,
					(const unsigned char *)cluster, -1,
					-1, 0))
		return -1;
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					(const unsigned char *)cn, -1, -1, 0))
		return -1;
	return 0;
}

/* Validity [from, from + days), offsets in seconds from now. */
static int set_validity(X509 *cert, long from, int days)
{
	if (!X509_gmtime_adj(X509_getm_notBefore(cert), from))
		return -1;
	if (!X509_gmtime_adj(X509_getm_notAfter(cert),
			     from + (long)days * 86400))
		return -1;
	return 0;
}

static X509_CRL *new_crl(X509 *ca, long number)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_INTEGER *num = ASN1_INTEGER_new();

	if (!crl || !num)
		goto out_free;
	if (!X509_CRL_set_version(crl, 1) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) ||
	    !ASN1_INTEGER_set(num, number) ||
	    !X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0))
		goto out_free;
	ASN1_INTEGER_free(num);
	return crl;

out_free:
	ASN1_INTEGER_free(num);
	X509_CRL_free(crl);
	return NULL;
}

static int sign_crl(X509_CRL *crl, EVP_PKEY *cakey, int days)
{
	ASN1_TIME *t = ASN1_TIME_new();
	int ok;

	if (!t)
		return -1;
	/* backdate a minute: hosts' clocks differ a little */
	ok = X509_gmtime_adj(t, -60) && X509_CRL_set1_lastUpdate(crl, t) &&
	     X509_gmtime_adj(t, (long)days * 86400) &&
	     X509_CRL_set1_nextUpdate(crl, t) && X509_CRL_sort(crl) &&
	     X509_CRL_sign(crl, cakey, NULL);
	ASN1_TIME_free(t);
	return ok ? 0 : -1;
}

int pki_ca_init(const char *dir, const char *cluster, int days,
		char *err, size_t errlen)
{
	char path[PATH_MAX], cn[128], uri[128];
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	X509_CRL *crl = NULL;
	int ret = -1;

	if (!node_id_valid(cluster)) {
		snprintf(err, errlen, "invalid cluster name '%s'", cluster);
		return -1;
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	key = gen_ed25519();
	cert = X509_new();
	if (!key || !cert) {
		pki_openssl_err(err, errlen, "keygen");
		goto out_free;
	}
	snprintf(cn, sizeof(cn), "synapse cluster CA %s", cluster);
	snprintf(uri, sizeof(uri), "URI:" SAN_URI_SCHEME "%s", cluster);
	if (!X509_set_version(cert, 2) || random_serial(cert) ||
	    set_validity(cert, -60, days) ||
	    set_name(X509_get_subject_name(cert), cn, cluster) ||
	    !X509_set_issuer_name(cert, X509_get_subject_name(cert)) ||
	    !X509_set_pubkey(cert, key) ||
	    add_ext(cert, cert, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
	    add_ext(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    add_ext(cert, cert, NID_subject_key_identifier, "hash") ||
	    add_ext(cert, cert, NID_subject_alt_name, uri) ||
	    !X509_sign(cert, key, NULL)) {
		pki_openssl_err(err, errlen, "CA certificate");
		goto out_free;
	}
	crl = new_crl(cert, 1);
	if (!crl || sign_crl(crl, key, days)) {
		pki_openssl_err(err, errlen, "CRL");
		goto out_free;
	}
	if (path_join(path, sizeof(path), dir, CA_KEY_FILE) ||
	    write_key(path, key, err, errlen))
		goto out_free;
	if (path_join(path, sizeof(path), dir, CA_CERT_FILE) ||
	    write_public(path, cert, NULL, err, errlen))
		goto out_free;
	if (path_join(path, sizeof(path), dir, CA_CRL_FILE) ||
	    write_public(path, NULL, crl, err, errlen))
		goto out_free;
	ret = 0;

out_free:
	X509_CRL_free(crl);
	X509_free(cert);
	EVP_PKEY_free(key);
	return ret;
}

struct ca {
	EVP_PKEY *key;
	X509 *cert;
	char cluster[NODE_ID_MAX + 1];
};

static void ca_free(struct ca *ca)
{
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
}

static int ca_load(struct ca *ca, const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];

	memset(ca, 0, sizeof(*ca));
	if (path_join(path, sizeof(path), dir, CA_KEY_FILE)) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -1;
	}
	ca->key = pki_load_key(path, err, errlen);
	if (!ca->key)
		return -1;
	path_join(path, sizeof(path), dir, CA_CERT_FILE);
	ca->cert = pki_load_cert(path, err, errlen);
	if (!ca->cert)
		goto out_free;
	if (pki_cert_cluster(ca->cert, ca->cluster, sizeof(ca->cluster))) {
		snprintf(err, errlen, "%s: no synapse:// cluster URI", path);
		goto out_free;
	}
	if (X509_check_private_key(ca->cert, ca->key) != 1) {
		snprintf(err, errlen, "%s: key does not match certificate", dir);
		goto out_free;
	}
	return 0;

out_free:
	ca_free(ca);
	return -1;
}

int pki_issue(const char *cadir, const struct pki_issue_opts *o,
	      char *err, size_t errlen)
{
	char path[PATH_MAX], name[NODE_ID_MAX + 8], uri[256];
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	struct ca ca;
	long from;
	int ret = -1;

	if (!node_id_valid(o->node_id)) {
		snprintf(err, errlen, "invalid node id '%s'", o->node_id);
		return -1;
	}
	if (ca_load(&ca, cadir, err, errlen))
		return -1;
	key = gen_ed25519();
	cert = X509_new();
	if (!key || !cert) {
		pki_openssl_err(err, errlen, "keygen");
		goto out_free;
	}
	snprintf(uri, sizeof(uri), "URI:" SAN_URI_SCHEME "%s/node/%s",
		 ca.cluster, o->node_id);
	from = o->expired ? -(long)(o->days + 1) * 86400 : -60;
	if (!X509_set_version(cert, 2) || random_serial(cert) ||
	    set_validity(cert, from, o->days) ||
	    set_name(X509_get_subject_name(cert), o->node_id, ca.cluster) ||
	    !X509_set_issuer_name(cert, X509_get_subject_name(ca.cert)) ||
	    !X509_set_pubkey(cert, key) ||
	    add_ext(cert, ca.cert, NID_basic_constraints, "critical,CA:FALSE") ||
	    add_ext(cert, ca.cert, NID_key_usage, "critical,digitalSignature") ||
	    add_ext(cert, ca.cert, NID_ext_key_usage, "serverAuth,clientAuth") ||
	    add_ext(cert, ca.cert, NID_authority_key_identifier, "keyid:always") ||
	    add_ext(cert, ca.cert, NID_subject_alt_name, uri) ||
	    !X509_sign(cert, ca.key, NULL)) {
		pki_openssl_err(err, errlen, "node certificate");
		goto out_free;
	}
	if (mkdir(o->outdir, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", o->outdir, strerror(errno));
		goto out_free;
	}
	snprintf(name, sizeof(name), "%s.key", o->node_id);
	if (path_join(path, sizeof(path), o->outdir, name) ||
	    write_key(path, key, err, errlen))
		goto out_free;
	snprintf(name, sizeof(name), "%s.crt", o->node_id);
	if (path_join(path, sizeof(path), o->outdir, name) ||
	    write_public(path, cert, NULL, err, errlen))
		goto out_free;
	ret = 0;

out_free:
	X509_free(cert);
	EVP_PKEY_free(key);
	ca_free(&ca);
	return ret;
}

int pki_revoke(const char *cadir, const char *certfile, int days,
	       char *err, size_t errlen)
{
	X509_REVOKED *rev = NULL;
	X509_CRL *old, *crl = NULL;
	ASN1_INTEGER *num;
	ASN1_TIME *now = NULL;
	char path[PATH_MAX];
	long number = 1;
	X509 *cert;
	struct ca ca;
	int i, ret = -1;

	cert = pki_load_cert(certfile, err, errlen);
	if (!cert)
		return -1;
	if (ca_load(&ca, cadir, err, errlen)) {
		X509_free(cert);
		return -1;
	}
	if (X509_check_issued(ca.cert, cert) != X509_V_OK) {
		snprintf(err, errlen, "%s: not issued by this CA", certfile);
		goto out_free;
	}
	path_join(path, sizeof(path), cadir, CA_CRL_FILE);
	old = pki_load_crl(path, err, errlen);
	if (!old)
		goto out_free;
	num = X509_CRL_get_ext_d2i(old, NID_crl_number, NULL, NULL);
	if (num) {
		number = ASN1_INTEGER_get(num) + 1;
		ASN1_INTEGER_free(num);
	}
	crl = new_crl(ca.cert, number);
	if (!crl) {
		X509_CRL_free(old);
		pki_openssl_err(err, errlen, "CRL");
		goto out_free;
	}
	/* carry over every earlier revocation */
	for (i = 0; i < sk_X509_REVOKED_num(X509_CRL_get_REVOKED(old)); i++) {
		X509_REVOKED *r = sk_X509_REVOKED_value(X509_CRL_get_REVOKED(old), i);

		if (!ASN1_INTEGER_cmp(X509_REVOKED_get0_serialNumber(r),
				      X509_get0_serialNumber(cert))) {
			X509_CRL_free(old);
			snprintf(err, errlen, "%s: already revoked", certfile);
			goto out_free;
		}
		X509_CRL_add0_revoked(crl, X509_REVOKED_dup(r));
	}
	X509_CRL_free(old);
	rev = X509_REVOKED_new();
	now = ASN1_TIME_new();
	if (!rev || !now || !X509_gmtime_adj(now, 0) ||
	    !X509_REVOKED_set_serialNumber(rev, (ASN1_INTEGER *)X509_get0_serialNumber(cert)) ||
	    !X509_REVOKED_set_revocationDate(rev, now) ||
	    !X509_CRL_add0_revoked(crl, rev)) {
		X509_REVOKED_free(rev);
		pki_openssl_err(err, errlen, "CRL entry");
		goto out_free;
	}
	if (sign_crl(crl, ca.key, days)) {
		pki_openssl_err(err, errlen, "CRL signature");
		goto out_free;
	}
	ret = write_public(path, NULL, crl, err, errlen);

out_free:
	ASN1_TIME_free(now);
	X509_CRL_free(crl);
	X509_free(cert);
	ca_free(&ca);
	return ret;
}

/* Calls fn for each SAN URI of the certificate until it returns non-zero. */
static int for_each_uri(X509 *cert, int (*fn)(const char *, size_t, void *),
			void *arg)
{
	GENERAL_NAMES *names;
	int i, ret = 0;

	names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	if (!names)
		return 0;
	for (i = 0; i < sk_GENERAL_NAME_num(names) && !ret; i++) {
		GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);

		if (gn->type != GEN_URI)
			continue;
		ret = fn((const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier),
			 ASN1_STRING_length(gn->d.uniformResourceIdentifier),
			 arg);
	}
	GENERAL_NAMES_free(names);
	return ret;
}

struct uri_match {
	const char *prefix;
	char *out;
	size_t outlen;
	int found;
};

static int match_uri(const char *uri, size_t len, void *arg)
{
	struct uri_match *m = arg;
	size_t pl = strlen(m->prefix);

	if (len <= pl || memcmp(uri, m->prefix, pl) ||
	    memchr(uri, '\0', len))
		return 0;
	if (len - pl >= m->outlen) {
		m->found = -1;
		return 1;
	}
	/* a second matching URI makes the identity ambiguous */
	m->found = m->found ? -1 : 1;
	memcpy(m->out, uri + pl, len - pl);
	m->out[len - pl] = '\0';
	return m->found < 0;
}

int pki_cert_cluster(X509 *cert, char *cluster, size_t len)
{
	struct uri_match m = { SAN_URI_SCHEME, cluster, len, 0 };

	for_each_uri(cert, match_uri, &m);
	if (m.found != 1 || strchr(cluster, '/') || !node_id_valid(cluster))
		return -1;
	return 0;
}

int pki_cert_node_id(X509 *cert, const char *cluster, char *id, size_t len)
{
	char prefix[NODE_ID_MAX + 32];
	struct uri_match m = { prefix, id, len, 0 };

	snprintf(prefix, sizeof(prefix), SAN_URI_SCHEME "%s/node/", cluster);
	for_each_uri(cert, match_uri, &m);
	if (m.found != 1 || !node_id_valid(id))
		return -1;
	return 0;
}

int pki_pubkey_raw(EVP_PKEY *key, uint8_t pub[ED25519_PUB_LEN])
{
	size_t len = ED25519_PUB_LEN;

	if (EVP_PKEY_get_raw_public_key(key, pub, &len) != 1 ||
	    len != ED25519_PUB_LEN)
		return -1;
	return 0;
}

void pki_fingerprint(X509 *cert, char hex[65])
{
	unsigned char md[32];
	unsigned int n = 0, i;

	X509_digest(cert, EVP_sha256(), md, &n);
	for (i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", i < n ? md[i] : 0);
	hex[64] = '\0';
}

uint64_t pki_not_after_ms(X509 *cert)
{
	struct tm tm;
	time_t t;

	if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1)
		return 0;
	t = timegm(&tm);
	return t < 0 ? 0 : (uint64_t)t * 1000;
}

int pki_sign(EVP_PKEY *key, const void *data, size_t len,
	     uint8_t sig[ED25519_SIG_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t siglen = ED25519_SIG_LEN;
	int ret = -1;

	if (!ctx)
		return -1;
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
	    EVP_DigestSign(ctx, sig, &siglen, data, len) == 1 &&
	    siglen == ED25519_SIG_LEN)
		ret = 0;
	EVP_MD_CTX_free(ctx);
	return ret;
}

int pki_verify(EVP_PKEY *pub, const void *data, size_t len,
	       const uint8_t sig[ED25519_SIG_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ret = -1;

	if (!ctx)
		return -1;
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pub) == 1 &&
	    EVP_DigestVerify(ctx, sig, ED25519_SIG_LEN, data, len) == 1)
		ret = 0;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ret;
}

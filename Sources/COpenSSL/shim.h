#ifndef MAILFORM_COPENSSL_SHIM_H
#define MAILFORM_COPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/crypto.h>

/// Encrypts `plain` with AES-256-GCM. `key` is 32 bytes, `iv` 12 bytes; writes
/// `plain_len` bytes to `out` and the 16-byte tag to `tag`.
/// Returns 1 on success, 0 on any OpenSSL failure.
static inline int mailform_aes256gcm_seal(const unsigned char *key, const unsigned char *iv,
                                          const unsigned char *aad, int aad_len,
                                          const unsigned char *plain, int plain_len,
                                          unsigned char *out, unsigned char *tag) {
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0, ok = 0;
    if (!ctx) return 0;
    if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1) goto done;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1) goto done;
    if (EVP_EncryptInit_ex(ctx, NULL, NULL, key, iv) != 1) goto done;
    if (aad_len > 0 && EVP_EncryptUpdate(ctx, NULL, &len, aad, aad_len) != 1) goto done;
    if (plain_len > 0 && EVP_EncryptUpdate(ctx, out, &len, plain, plain_len) != 1) goto done;
    if (EVP_EncryptFinal_ex(ctx, out + len, &len) != 1) goto done;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1) goto done;
    ok = 1;
done:
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

/// Decrypts and authenticates AES-256-GCM output of `mailform_aes256gcm_seal`.
/// Returns 1 when the tag verifies, 0 otherwise (wrong key, tampered data).
static inline int mailform_aes256gcm_open(const unsigned char *key, const unsigned char *iv,
                                          const unsigned char *aad, int aad_len,
                                          const unsigned char *cipher, int cipher_len,
                                          const unsigned char *tag, unsigned char *out) {
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0, ok = 0;
    if (!ctx) return 0;
    if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1) goto done;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1) goto done;
    if (EVP_DecryptInit_ex(ctx, NULL, NULL, key, iv) != 1) goto done;
    if (aad_len > 0 && EVP_DecryptUpdate(ctx, NULL, &len, aad, aad_len) != 1) goto done;
    if (cipher_len > 0 && EVP_DecryptUpdate(ctx, out, &len, cipher, cipher_len) != 1) goto done;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag) != 1) goto done;
    if (EVP_DecryptFinal_ex(ctx, out + len, &len) != 1) goto done;
    ok = 1;
done:
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

/// HMAC-SHA256 of `data` under `key`; writes 32 bytes to `out`. Returns 1 on success.
static inline int mailform_hmac_sha256(const unsigned char *key, int key_len,
                                       const unsigned char *data, size_t data_len,
                                       unsigned char *out) {
    unsigned int out_len = 0;
    return HMAC(EVP_sha256(), key, key_len, data, data_len, out, &out_len) != NULL && out_len == 32;
}

/// SHA-256 of `data`; writes 32 bytes to `out`. Returns 1 on success.
static inline int mailform_sha256(const unsigned char *data, size_t data_len, unsigned char *out) {
    unsigned int out_len = 0;
    return EVP_Digest(data, data_len, out, &out_len, EVP_sha256(), NULL) == 1 && out_len == 32;
}
#endif

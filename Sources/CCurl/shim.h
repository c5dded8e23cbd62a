#ifndef MAILFORM_CCURL_SHIM_H
#define MAILFORM_CCURL_SHIM_H
#include <curl/curl.h>

/* curl_easy_setopt, curl_easy_getinfo and curl_multi_setopt are C variadics,
 * which Swift cannot call: these typed wrappers are the only way in. */

static inline CURLcode mf_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode mf_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode mf_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }

typedef int (*mf_debug_callback)(CURL *handle, curl_infotype type, char *data, size_t size, void *userptr);
static inline CURLcode mf_setopt_debug_function(CURL *h, mf_debug_callback f) { return curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, f); }

typedef size_t (*mf_write_callback)(char *ptr, size_t size, size_t nmemb, void *userdata);
static inline CURLcode mf_setopt_write_function(CURL *h, mf_write_callback f) { return curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, f); }

typedef size_t (*mf_read_callback)(char *buffer, size_t size, size_t nitems, void *userdata);
static inline CURLcode mf_setopt_read_function(CURL *h, mf_read_callback f) { return curl_easy_setopt(h, CURLOPT_READFUNCTION, f); }

static inline CURLcode mf_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode mf_getinfo_double(CURL *h, CURLINFO i, double *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode mf_getinfo_socket(CURL *h, curl_socket_t *v) { return curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, v); }
static inline CURLcode mf_getinfo_string(CURL *h, CURLINFO i, char **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode mf_getinfo_certinfo(CURL *h, struct curl_certinfo **v) { return curl_easy_getinfo(h, CURLINFO_CERTINFO, v); }

static inline CURLMcode mf_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }

/* The result code of a finished transfer (the CURLMsg union). */
static inline CURLcode mf_msg_result(CURLMsg *msg) { return msg->data.result; }

/* TLS version bounds for CURLOPT_SSLVERSION (the MAX macros do not import). */
static inline long mf_ssl_version(long min, long max) { return min | (max << 16); }
#endif

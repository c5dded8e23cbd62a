import COpenSSL

/// OpenSSL for the whole process (libcurl's TLS and mailform's own sealing
/// and digests).
public enum CryptoLibrary {
    /// Starts OpenSSL without its exit handler; call first thing in `main`,
    /// before anything else uses OpenSSL (its first start decides). OpenSSL
    /// frees its tables in an `atexit` handler, while a thread of the run
    /// may still free a context of its own: an apply that had written its
    /// store exited with "double free or corruption" (1 run in 250 of four
    /// racing applies). The process ends anyway; the kernel frees the rest.
    public static func startWithoutExitHandler() {
        _ = OPENSSL_init_crypto(UInt64(OPENSSL_INIT_NO_ATEXIT), nil)
    }
}

import CCurl
import Foundation
import MailformCore

/// One HTTPS GET of a policy file (MTA-STS, RFC 8461 section 3.3), with
/// the probe's trust settings: HTTPS only, the name checked against the
/// certificate, no redirect followed, the body and the time bounded, and
/// the connection made only to the addresses given (the run's resolver
/// answered them; libcurl resolves nothing itself).
public enum PolicyFetch {
    public struct Answer: Sendable, Hashable {
        /// The HTTP status; 0 without an answer.
        public var status = 0
        public var contentType: String?
        public var body: [UInt8] = []
        /// The body was longer than the limit; the transfer stopped there.
        public var tooLarge = false
        /// Why there is no answer (connection, TLS, time limit), or nil.
        public var failure: String?
        /// When the server's certificate expires, when the handshake got that far.
        public var certificateExpiry: Date?
        /// Not fetched, or cut, because the run's deadline came first.
        public var deadlineReached = false
    }

    /// At most this many fetches at once (each holds a thread while it runs).
    static let slots = DispatchSemaphore(value: 8)
    static let queue = DispatchQueue(label: "mailform.policy-fetch", attributes: .concurrent)

    /// Fetches `https://host:port/path` from `addresses`, on a thread of its
    /// own; the time limit is the probe's timeout, and the run's deadline.
    /// - Parameters:
    ///   - host: a host name (checked against the certificate; never an address).
    ///   - addresses: IPv4 or IPv6 addresses as text; at most 4 are used.
    public static func get(host: String, path: String, addresses: [String], options: ProbeOptions, maxBytes: Int) async -> Answer {
        await withCheckedContinuation { continuation in
            queue.async {
                slots.wait()
                defer { slots.signal() }
                continuation.resume(returning: getNow(host: host, path: path, addresses: addresses, options: options, maxBytes: maxBytes))
            }
        }
    }

    static func getNow(host: String, path: String, addresses: [String], options: ProbeOptions, maxBytes: Int) -> Answer {
        var answer = Answer()
        // A name that could carry URL syntax, or an address, is not fetched.
        guard !host.isEmpty, host.utf8.count <= 253,
              host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") }),
              !addresses.isEmpty else {
            answer.failure = "the host name or its addresses cannot be used"
            return answer
        }
        var timeout = options.timeoutMilliseconds
        if let deadline = options.deadline {
            timeout = min(timeout, Int(deadline.timeIntervalSinceNow * 1000))
            guard timeout > 0 else {
                answer.failure = "not fetched: the run's deadline was reached"
                answer.deadlineReached = true
                return answer
            }
        }
        guard CurlGlobal.initialized, let t = CurlTransfer() else {
            answer.failure = "libcurl could not be set up"
            return answer
        }
        let port = options.mtaSTSPort
        t.set(CURLOPT_URL, "https://\(host)\(port == 443 ? "" : ":\(port)")\(path)")
        // Each address as libcurl's "host:port:address" ([v6] in brackets).
        let pinned = addresses.prefix(4).map { $0.contains(":") ? "[\($0)]" : $0 }.joined(separator: ",")
        t.set(CURLOPT_RESOLVE, list: ["\(host):\(port):\(pinned)"])
        t.set(CURLOPT_PROTOCOLS_STR, "https")
        // Straight to the pinned addresses: no proxy from the environment
        // (https_proxy would resolve the name itself), none from probe.proxy.
        t.set(CURLOPT_PROXY, "")
        t.set(CURLOPT_NOPROXY, "*")
        t.set(CURLOPT_FOLLOWLOCATION, 0)
        t.set(CURLOPT_SSL_VERIFYPEER, 1)
        t.set(CURLOPT_SSL_VERIFYHOST, 2)
        if let ca = options.caFile { t.set(CURLOPT_CAINFO, ca) }
        t.set(CURLOPT_CERTINFO, 1)
        t.set(CURLOPT_TIMEOUT_MS, timeout)
        t.set(CURLOPT_CONNECTTIMEOUT_MS, timeout)
        t.set(CURLOPT_MAXFILESIZE, maxBytes)
        t.set(CURLOPT_USERAGENT, "mailform")
        t.bodyLimit = maxBytes
        let code = curl_easy_perform(t.handle)
        answer.certificateExpiry = SMTPProbe.certificateExpiry(t)
        answer.status = t.long(CURLINFO_RESPONSE_CODE)
        var type: UnsafeMutablePointer<CChar>?
        if mf_getinfo_string(t.handle, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK, let type {
            answer.contentType = String(String(cString: type).prefix(200))
        }
        if t.bodyOverflow || code == CURLE_FILESIZE_EXCEEDED {
            answer.tooLarge = true
        } else if code != CURLE_OK {
            let message = t.errorMessage
            answer.failure = message.isEmpty ? String(cString: curl_easy_strerror(code)) : message
            if code == CURLE_OPERATION_TIMEDOUT && timeout < options.timeoutMilliseconds {
                answer.deadlineReached = true
                answer.failure = "cut: the run's deadline was reached"
            }
        } else {
            answer.body = t.body
        }
        return answer
    }
}

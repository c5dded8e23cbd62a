import CAres
import Foundation
import SPF

/// Turns what c-ares hands a query callback — a status and the raw answer —
/// into a `DNSResult`.
///
/// The answer bytes come from the network, so they are untrusted: parsing
/// goes through c-ares's own bounds-checked parsers (`ares_parse_*_reply`),
/// and every status they return, including `ARES_EBADRESP` for a malformed
/// or truncated message, becomes a classified result. Nothing here traps.
enum DNSReplyParser {
    /// Classifies the callback's status, then parses a successful answer.
    static func result(status: Int32, type: DNSRecordType, answer: UnsafePointer<UInt8>?, length: Int32) -> DNSResult {
        guard status == ARES_SUCCESS else { return classify(status) }
        guard let answer, length > 0 else { return .failure(.other("empty answer")) }
        return parse(type: type, answer: answer, length: length)
    }

    /// Parses one answer message of the given type. Also used by the tests
    /// with hand-made and mangled messages.
    static func parse(type: DNSRecordType, answer: UnsafePointer<UInt8>, length: Int32) -> DNSResult {
        switch type {
        case .a, .aaaa: return addresses(type: type, answer: answer, length: length)
        case .txt: return txt(answer: answer, length: length)
        case .mx: return mx(answer: answer, length: length)
        case .ptr: return ptr(answer: answer, length: length)
        }
    }

    /// The outcome a non-success status stands for. `ares_query` has already
    /// mapped the response code: NXDOMAIN is `ARES_ENOTFOUND`, an empty
    /// NOERROR answer `ARES_ENODATA`.
    static func classify(_ status: Int32) -> DNSResult {
        switch status {
        case ARES_ENODATA: return .noData
        case ARES_ENOTFOUND: return .nxdomain
        case ARES_ETIMEOUT: return .failure(.timeout)
        case ARES_ESERVFAIL: return .failure(.servfail)
        case ARES_EREFUSED: return .failure(.refused)
        case ARES_ECONNREFUSED: return .failure(.other("connection refused (nothing listens on the DNS server's port)"))
        case ARES_EFORMERR: return .failure(.other("the server answered FORMERR"))
        case ARES_ENOTIMP: return .failure(.other("the server answered NOTIMP"))
        case ARES_EBADRESP: return .failure(.other("malformed answer"))
        case ARES_EBADNAME: return .failure(.other("the name cannot be queried"))
        default: return .failure(.other(message(status)))
        }
    }

    /// c-ares's text for a status, with its number.
    static func message(_ status: Int32) -> String {
        let text = ares_strerror(status).map { String(cString: $0) } ?? "unknown error"
        return "\(text) (c-ares status \(status))"
    }

    private static func addresses(type: DNSRecordType, answer: UnsafePointer<UInt8>, length: Int32) -> DNSResult {
        var host: UnsafeMutablePointer<hostent>?
        let status = type == .a
            ? ares_parse_a_reply(answer, length, &host, nil, nil)
            : ares_parse_aaaa_reply(answer, length, &host, nil, nil)
        defer { if let host { ares_free_hostent(host) } }
        guard status == ARES_SUCCESS, let host else { return classify(status) }
        let size = type == .a ? 4 : 16
        guard Int(host.pointee.h_length) == size, let list = host.pointee.h_addr_list else { return .noData }
        var records: [DNSRecord] = []
        var index = 0
        while let entry = list[index] {
            let bytes = UnsafeRawPointer(entry).withMemoryRebound(to: UInt8.self, capacity: size) { Array(UnsafeBufferPointer(start: $0, count: size)) }
            if let address = IPAddress(bytes: bytes) { records.append(type == .a ? .a(address) : .aaaa(address)) }
            index += 1
        }
        return records.isEmpty ? .noData : .records(records)
    }

    private static func txt(answer: UnsafePointer<UInt8>, length: Int32) -> DNSResult {
        var head: UnsafeMutablePointer<ares_txt_ext>?
        let status = ares_parse_txt_reply_ext(answer, length, &head)
        defer { if let head { ares_free_data(head) } }
        guard status == ARES_SUCCESS else { return classify(status) }
        // One node per character-string; `record_start` marks a record's first.
        var records: [[String]] = []
        var node = head
        while let current = node {
            let bytes = current.pointee.txt.map { Array(UnsafeBufferPointer(start: $0, count: Int(current.pointee.length))) } ?? []
            // Lossy on purpose: SPF must see (and reject) non-UTF-8 bytes, not lose the record.
            let text = String(decoding: bytes, as: UTF8.self)
            if current.pointee.record_start != 0 || records.isEmpty {
                records.append([text])
            } else {
                records[records.count - 1].append(text)
            }
            node = current.pointee.next
        }
        return records.isEmpty ? .noData : .records(records.map { .txt($0) })
    }

    private static func mx(answer: UnsafePointer<UInt8>, length: Int32) -> DNSResult {
        var head: UnsafeMutablePointer<ares_mx_reply>?
        let status = ares_parse_mx_reply(answer, length, &head)
        defer { if let head { ares_free_data(head) } }
        guard status == ARES_SUCCESS else { return classify(status) }
        var records: [DNSRecord] = []
        var node = head
        while let current = node {
            let exchange = current.pointee.host.map { String(cString: $0) } ?? ""
            records.append(.mx(DNSMXRecord(preference: current.pointee.priority, exchange: withoutTrailingDot(exchange))))
            node = current.pointee.next
        }
        return records.isEmpty ? .noData : .records(records)
    }

    private static func ptr(answer: UnsafePointer<UInt8>, length: Int32) -> DNSResult {
        var host: UnsafeMutablePointer<hostent>?
        // The address only fills the hostent's h_addr_list, which is not read;
        // it must not be empty (c-ares would malloc(0) and may report ENOMEM).
        var placeholder: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
        let status = withUnsafeBytes(of: &placeholder) { ares_parse_ptr_reply(answer, length, $0.baseAddress, 4, AF_INET, &host) }
        defer { if let host { ares_free_hostent(host) } }
        guard status == ARES_SUCCESS, let host else { return classify(status) }
        // Every PTR target is in h_aliases, in answer order (h_name is the last).
        var names: [String] = []
        if let aliases = host.pointee.h_aliases {
            var index = 0
            while let alias = aliases[index] {
                names.append(withoutTrailingDot(String(cString: alias)))
                index += 1
            }
        }
        if names.isEmpty, let name = host.pointee.h_name { names.append(withoutTrailingDot(String(cString: name))) }
        return names.isEmpty ? .noData : .records(names.map { .ptr($0) })
    }

    private static func withoutTrailingDot(_ name: String) -> String {
        name.hasSuffix(".") && name != "." ? String(name.dropLast()) : name
    }
}

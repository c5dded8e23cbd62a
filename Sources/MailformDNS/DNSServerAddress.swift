import Foundation
import SPF

/// One `address[:port]` server entry, parsed strictly.
///
/// c-ares's own parser (`ares_set_servers_ports_csv`) accepts more than it
/// should and reports only "bad string"; parsing here first gives the user
/// a message that names the entry and the problem, and hands c-ares one
/// canonical spelling (`[v6]:port` always bracketed).
struct DNSServerAddress: Sendable, Hashable, CustomStringConvertible {
    var address: IPAddress
    var port: UInt16

    init(parsing text: String) throws(DNSConfigurationError) {
        let trimmed = Substring(text.trimmingCharacters(in: .whitespaces))
        guard !trimmed.isEmpty else { throw DNSConfigurationError("a DNS server entry is empty") }
        var host = trimmed
        var portText: Substring?
        if trimmed.hasPrefix("[") {
            // [v6] or [v6]:port
            guard let close = trimmed.firstIndex(of: "]") else {
                throw DNSConfigurationError("DNS server \"\(text)\": missing \"]\" after the IPv6 address")
            }
            host = trimmed[trimmed.index(after: trimmed.startIndex)..<close]
            let rest = trimmed[trimmed.index(after: close)...]
            if !rest.isEmpty {
                guard rest.first == ":" else { throw DNSConfigurationError("DNS server \"\(text)\": expected \":PORT\" after \"]\"") }
                portText = rest.dropFirst()
            }
        } else if trimmed.filter({ $0 == ":" }).count == 1, let colon = trimmed.firstIndex(of: ":") {
            // v4:port (a bare IPv6 address has two or more colons)
            host = trimmed[..<colon]
            portText = trimmed[trimmed.index(after: colon)...]
        }
        guard let address = IPAddress(String(host)) else {
            throw DNSConfigurationError("DNS server \"\(text)\": \"\(host)\" is not an IP address (c-ares needs addresses, not host names)")
        }
        var port: UInt16 = 53
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = Int(portText), (1...65535).contains(value) else {
                throw DNSConfigurationError("DNS server \"\(text)\": port \"\(portText)\" is not a number in 1...65535")
            }
            port = UInt16(value)
        }
        self.address = address
        self.port = port
    }

    /// The form `ares_set_servers_ports_csv` takes.
    var description: String {
        address.family == .v6 ? "[\(address)]:\(port)" : "\(address):\(port)"
    }
}

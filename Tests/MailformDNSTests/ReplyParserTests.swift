import CAres
@testable import MailformDNS
import SPF
import Testing

/// Answers come off the network: whatever the bytes, parsing gives a
/// classified result and never traps.
struct ReplyParserTests {
    static func parse(_ type: DNSRecordType, _ bytes: [UInt8]) -> DNSResult {
        bytes.withUnsafeBufferPointer { DNSReplyParser.result(status: ARES_SUCCESS, type: type, answer: $0.baseAddress, length: Int32($0.count)) }
    }

    static let wellFormed: [(DNSRecordType, [UInt8], DNSResult)] = [
        (.txt, DNSMessageBuilder(question: "example.test", type: 16, answers: [
            (16, DNSMessageBuilder.characterStrings(["v=spf1 ", "-all"])), (16, DNSMessageBuilder.characterStrings(["second"])),
        ]).bytes, .records([.txt(["v=spf1 ", "-all"]), .txt(["second"])])),
        (.a, DNSMessageBuilder(question: "example.test", type: 1, answers: [(1, [192, 0, 2, 1]), (1, [192, 0, 2, 2])]).bytes,
         .records([.a(IPAddress("192.0.2.1")!), .a(IPAddress("192.0.2.2")!)])),
        (.aaaa, DNSMessageBuilder(question: "example.test", type: 28, answers: [(28, [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1])]).bytes,
         .records([.aaaa(IPAddress("2001:db8::1")!)])),
        (.mx, DNSMessageBuilder(question: "example.test", type: 15, answers: [(15, [0, 10] + DNSMessageBuilder.name("mx.example.test"))]).bytes,
         .records([.mx(DNSMXRecord(preference: 10, exchange: "mx.example.test"))])),
        (.ptr, DNSMessageBuilder(question: "1.2.0.192.in-addr.arpa", type: 12, answers: [
            (12, DNSMessageBuilder.name("a.example.test")), (12, DNSMessageBuilder.name("b.example.test")),
        ]).bytes, .records([.ptr("a.example.test"), .ptr("b.example.test")])),
    ]

    @Test func wellFormedAnswersParse() {
        for (type, bytes, expected) in Self.wellFormed {
            #expect(Self.parse(type, bytes) == expected, "\(type)")
        }
    }

    @Test func nonUTF8TextIsDecodedLossily() {
        let bytes = DNSMessageBuilder(question: "example.test", type: 16, answers: [(16, [4, 0x76, 0xFF, 0xFE, 0x31])]).bytes
        #expect(Self.parse(.txt, bytes) == .records([.txt(["v\u{FFFD}\u{FFFD}1"])]))
    }

    @Test func answersOfAnotherTypeAreNoData() {
        let bytes = DNSMessageBuilder(question: "example.test", type: 1, answers: [(16, DNSMessageBuilder.characterStrings(["x"]))]).bytes
        #expect(Self.parse(.a, bytes) == .noData)
        #expect(Self.parse(.mx, bytes) == .noData)
    }

    @Test func everyTruncationIsAClassifiedResult() {
        for (type, bytes, expected) in Self.wellFormed {
            for length in 0..<bytes.count {
                let result = Self.parse(type, Array(bytes.prefix(length)))
                switch result {
                case .failure, .noData: break
                case .records: #expect(result != expected || length == bytes.count, "\(type) cut at \(length) parsed completely")
                case .nxdomain: Issue.record("\(type) cut at \(length): nxdomain from a parse")
                }
            }
        }
    }

    @Test func randomCorruptionNeverTraps() {
        var generator = SystemRandomNumberGenerator()
        var outcomes: [String: Int] = [:]
        for (type, bytes, _) in Self.wellFormed {
            for _ in 0..<4_000 {
                var mangled = bytes
                for _ in 0..<Int.random(in: 1...6, using: &generator) {
                    mangled[Int.random(in: 0..<mangled.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
                if Bool.random(using: &generator) { mangled += (0..<Int.random(in: 0...40, using: &generator)).map { _ in UInt8.random(in: 0...255) } }
                switch Self.parse(type, mangled) {
                case .records: outcomes["records", default: 0] += 1
                case .noData: outcomes["noData", default: 0] += 1
                case .nxdomain: outcomes["nxdomain", default: 0] += 1
                case .failure: outcomes["failure", default: 0] += 1
                }
            }
        }
        #expect(outcomes["nxdomain"] == nil)
        #expect(outcomes.values.reduce(0, +) == 20_000)
    }

    @Test func statusesAreClassified() {
        #expect(DNSReplyParser.result(status: ARES_ENOTFOUND, type: .a, answer: nil, length: 0) == .nxdomain)
        #expect(DNSReplyParser.result(status: ARES_ENODATA, type: .a, answer: nil, length: 0) == .noData)
        #expect(DNSReplyParser.result(status: ARES_ETIMEOUT, type: .a, answer: nil, length: 0) == .failure(.timeout))
        #expect(DNSReplyParser.result(status: ARES_ESERVFAIL, type: .a, answer: nil, length: 0) == .failure(.servfail))
        #expect(DNSReplyParser.result(status: ARES_EREFUSED, type: .a, answer: nil, length: 0) == .failure(.refused))
        #expect(DNSReplyParser.result(status: ARES_EBADRESP, type: .a, answer: nil, length: 0) == .failure(.other("malformed answer")))
        #expect(DNSReplyParser.result(status: ARES_SUCCESS, type: .a, answer: nil, length: 0) == .failure(.other("empty answer")))
        guard case .failure(.other(let text)) = DNSReplyParser.result(status: 999, type: .a, answer: nil, length: 0) else {
            Issue.record("an unknown status must be .other")
            return
        }
        #expect(text.contains("999"))
    }
}

/// Builds DNS response messages byte by byte, for feeding the reply parser
/// well-formed and mangled answers without a server.
struct DNSMessageBuilder {
    var question: String
    var type: UInt16
    var answers: [(type: UInt16, rdata: [UInt8])] = []

    static func name(_ text: String) -> [UInt8] {
        text.split(separator: ".").flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) } + [0]
    }

    static func characterStrings(_ strings: [String]) -> [UInt8] {
        strings.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
    }

    var bytes: [UInt8] {
        var out: [UInt8] = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, UInt8(answers.count), 0, 0, 0, 0]
        out += Self.name(question) + [UInt8(type >> 8), UInt8(type & 0xff), 0, 1]
        for answer in answers {
            out += [0xC0, 0x0C] // pointer to the question name
            out += [UInt8(answer.type >> 8), UInt8(answer.type & 0xff), 0, 1, 0, 0, 1, 0x2C]
            out += [UInt8(answer.rdata.count >> 8), UInt8(answer.rdata.count & 0xff)] + answer.rdata
        }
        return out
    }
}

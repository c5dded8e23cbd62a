/// Decides whether a logo's bytes are an image the platform can show
/// safely, by parsing them, not by their name or first bytes.
///
/// - PNG: the signature, then every chunk walked to `IEND` with its length
///   in bounds and its CRC checked; `IHDR` first, its width and height
///   within 1…``maxDimension``.
/// - JPEG: `SOI`, then the segments walked to the first frame header
///   (`SOF0`…`SOF15`), whose height and width must be within 1…``maxDimension``.
/// - SVG: UTF-8 text whose root element is `svg`, refused (fail closed) on
///   anything that can run or fetch: scripts, event handlers (`on…=`),
///   `javascript:`, `foreignObject`, `iframe`/`embed`/`object`, links and
///   `url()` that are not local fragments (`#id`), `@import`, a DOCTYPE or
///   entity declaration, CDATA sections, and character references other
///   than the five XML predefines (they could spell a hidden `javascript:`).
public enum ImageCheck {
    public static let maxDimension = 16_384

    public enum Verdict: Equatable, Sendable {
        case image(mediaType: String)
        case refused(String)
    }

    /// The verdict on `bytes`.
    public static func check(_ bytes: [UInt8]) -> Verdict {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return png(bytes) }
        if bytes.starts(with: [0xFF, 0xD8]) { return jpeg(bytes) }
        return svg(bytes)
    }

    static func u32(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3]) }
    static func u16(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) << 8 | Int(b[i + 1]) }

    static func dimensionsOK(_ width: Int, _ height: Int) -> Bool {
        (1...maxDimension).contains(width) && (1...maxDimension).contains(height)
    }

    static func png(_ b: [UInt8]) -> Verdict {
        var i = 8
        var first = true
        var chunks = 0
        while i + 12 <= b.count {
            let length = u32(b, i)
            let type = Array(b[(i + 4)..<(i + 8)])
            guard length <= b.count - i - 12 else { return .refused("a PNG chunk runs past the end of the file") }
            let data = Array(b[(i + 8)..<(i + 8 + length)])
            guard crc32(type + data) == UInt32(u32(b, i + 8 + length)) else { return .refused("a PNG chunk's checksum does not match (a damaged or disguised file)") }
            if first {
                guard type == Array("IHDR".utf8), length == 13 else { return .refused("a PNG file must start with its IHDR header") }
                guard dimensionsOK(u32(data, 0), u32(data, 4)) else {
                    return .refused("the PNG is \(u32(data, 0))×\(u32(data, 4)) pixels; at most \(maxDimension)×\(maxDimension)")
                }
                first = false
            }
            chunks += 1
            if chunks > 100_000 { return .refused("the PNG has too many chunks") }
            if type == Array("IEND".utf8) {
                // Nothing after the end: a file that is a PNG and something else too is neither.
                guard i + 12 == b.count else { return .refused("the PNG has \(b.count - i - 12) bytes after its IEND chunk") }
                return .image(mediaType: "image/png")
            }
            i += 12 + length
        }
        return .refused("the PNG file ends before its IEND chunk (truncated, or not a PNG)")
    }

    static func jpeg(_ b: [UInt8]) -> Verdict {
        var i = 2
        var segments = 0
        while i + 4 <= b.count {
            guard b[i] == 0xFF else { return .refused("the JPEG's segments are malformed") }
            let marker = b[i + 1]
            if marker == 0xFF { i += 1; continue }  // fill byte
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { i += 2; continue }
            if marker == 0xD9 || marker == 0xDA { return .refused("the JPEG has no frame header before its image data") }
            let length = u16(b, i + 2)
            guard length >= 2, i + 2 + length <= b.count else { return .refused("a JPEG segment runs past the end of the file") }
            // SOF0…SOF15, except DHT (C4), JPG (C8) and DAC (CC).
            if (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC {
                guard length >= 8 else { return .refused("the JPEG's frame header is too short") }
                let height = u16(b, i + 5), width = u16(b, i + 7)
                guard dimensionsOK(width, height) else { return .refused("the JPEG is \(width)×\(height) pixels; at most \(maxDimension)×\(maxDimension)") }
                // It must end as a JPEG ends (EOI): nothing after its image data.
                guard b.count >= 4, b[b.count - 2] == 0xFF, b[b.count - 1] == 0xD9 else {
                    return .refused("the JPEG does not end with its end-of-image marker (FF D9)")
                }
                return .image(mediaType: "image/jpeg")
            }
            segments += 1
            if segments > 10_000 { return .refused("the JPEG has too many segments") }
            i += 2 + length
        }
        return .refused("the JPEG file ends before its frame header (truncated, or not a JPEG)")
    }

    static func svg(_ b: [UInt8]) -> Verdict {
        guard !b.contains(0), let text = String(validating: b, as: UTF8.self) else {
            return .refused("the file is not a PNG, a JPEG or an SVG (UTF-8 text)")
        }
        let lower = text.lowercased()
        let bytes = Array(lower.utf8)
        // Every text that could be an SVG is checked (a root written
        // `<s:svg>` is one too). A backslash is refused outright: in CSS it
        // escapes any letter, so `u\72l(` is `url(` and `@\69mport` is
        // `@import`, past any list of words.
        if bytes.contains(UInt8(ascii: "\\")) {
            return .refused("the SVG holds a backslash (a CSS escape can spell url( or @import), which no logo may")
        }
        // Printable ASCII only: a combining or prepended character (U+0600)
        // joins a quote into one character, so a check that walks
        // characters ends an attribute where XML does not.
        if let byte = b.first(where: { !($0 == 0x09 || $0 == 0x0A || $0 == 0x0D || (0x20...0x7E).contains($0)) }) {
            return .refused("the SVG holds a character outside printable ASCII (byte \(String(byte, radix: 16, uppercase: true))), which no logo may; write text as paths")
        }
        // Whitespace and control characters inside a scheme still make it one ("java\tscript:").
        let squeezed = String(decoding: bytes.filter { $0 > 0x20 }, as: UTF8.self)
        for (needle, why) in [("<!doctype", "a DOCTYPE"), ("<!entity", "an entity declaration"), ("<![cdata[", "a CDATA section"),
                              ("javascript:", "a javascript: link"), ("vbscript:", "a vbscript: link"), ("@import", "an @import"),
                              ("image-set(", "a CSS image-set() (it loads images by URL)"), ("src(", "a CSS src() (it loads by URL)")]
            where lower.contains(needle) || squeezed.contains(needle) {
            return .refused("the SVG holds \(why), which no logo may")
        }
        func starts(_ at: Int, _ prefix: String) -> Bool {
            let p = Array(prefix.utf8)
            return at + p.count <= bytes.count && Array(bytes[at..<(at + p.count)]) == p
        }
        func find(_ needle: String, from: Int) -> Int? {
            let n = Array(needle.utf8)
            guard n.count <= bytes.count else { return nil }
            var i = from
            while i + n.count <= bytes.count {
                if bytes[i] == n[0] && Array(bytes[i..<(i + n.count)]) == n { return i }
                i += 1
            }
            return nil
        }
        // Tag by tag, comments and processing instructions skipped whole (a
        // quote inside one must not hide the tags after it).
        var i = 0
        var sawRoot = false
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "<") else { i += 1; continue }
            if starts(i, "<!--") {
                guard let close = find("-->", from: i + 4) else { return .refused("an SVG comment is not closed") }
                // An HTML parser ends `<!-->` at once and reads what follows as markup.
                if bytes[(i + 4)..<close].contains(where: { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") }) {
                    return .refused("an SVG comment holds < or >, which no logo may (an HTML page reads such a comment otherwise)")
                }
                i = close + 3
                continue
            }
            if starts(i, "<?") {
                // Only the XML declaration, at the very start: `<?xml-stylesheet?>`
                // loads a style sheet, and HTML ends `<?x >` at its first `>`.
                guard i == 0, starts(i, "<?xml"), i + 5 < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i + 5]) else {
                    return .refused("the SVG holds a processing instruction (<?…?>), which no logo may (only the <?xml …?> declaration at its start)")
                }
                guard let close = find("?>", from: i + 2) else { return .refused("an SVG processing instruction is not closed") }
                if bytes[(i + 2)..<close].contains(where: { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") }) {
                    return .refused("the SVG's <?xml …?> declaration holds < or >, which no logo may")
                }
                i = close + 2
                continue
            }
            if starts(i, "<!") { return .refused("the SVG holds a declaration (<!…>), which no logo may") }
            // The tag ends at the first `>` outside quotes.
            var j = i + 1
            var quote: UInt8 = 0
            while j < bytes.count {
                let c = bytes[j]
                if quote != 0 { if c == quote { quote = 0 } } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") { quote = c } else if c == UInt8(ascii: ">") { break }
                j += 1
            }
            guard j < bytes.count else { return .refused("an SVG tag is not closed") }
            let tag = Substring(String(decoding: bytes[(i + 1)..<j], as: UTF8.self))
            i = j + 1
            // Attributes as XML writes them and nothing looser: a quote only
            // after `=`, every value quoted, no `<` or `>` in one. An HTML
            // page that inlines the logo reads looser text otherwise (a stray
            // quote, or `</style>` in a value, ended where this check did not).
            if !Self.isStrictTag(Array(tag.utf8)) {
                return .refused("an SVG tag is not written as XML writes it (every attribute name=\"value\", no < or > in a value), which no logo may: <\(SafeText.escape(String(tag.prefix(60))))>")
            }
            if tag.hasPrefix("/") { continue }
            let name = tag.prefix { !$0.isWhitespace && $0 != "/" && $0 != ">" }
            let local = name.split(separator: ":").last.map(String.init) ?? String(name)
            if !sawRoot {
                guard local == "svg" else { return .refused("the file is not a PNG, a JPEG or an SVG (its root element must be <svg>)") }
                sawRoot = true
            }
            if ["script", "foreignobject", "iframe", "embed", "object", "handler", "listener", "audio", "video", "animation"].contains(local) {
                return .refused("the SVG holds a <\(local)> element, which no logo may")
            }
            // Animations that set a link or a handler change the document after any check.
            if ["set", "animate", "animatemotion", "animatetransform", "animatecolor"].contains(local),
               let animated = attributes(tag.dropFirst(name.count)).first(where: { ($0.name.split(separator: ":").last.map(String.init) ?? $0.name) == "attributename" }) {
                let value = animated.value.trimmingCharacters(in: .whitespacesAndNewlines)
                let target = value.split(separator: ":").last.map(String.init) ?? value
                if target == "href" || target == "src" || target.hasPrefix("on") {
                    return .refused("the SVG animates a link or an event handler (<\(local) attributeName=\"\(value.prefix(40))\">), which no logo may")
                }
            }
            if let problem = attributeProblem(tag.dropFirst(name.count)) { return .refused(problem) }
            // Drawing elements only: anything else (an XHTML <img srcset>, a
            // <meta http-equiv>, <image>, <feImage>) is refused by name, not
            // by knowing what it can load.
            guard Self.svgElements.contains(local) else {
                return .refused("the SVG holds a <\(local)> element, which no logo may (only drawing elements: \(Self.svgElements.sorted().joined(separator: ", "))); export a plain SVG, or use PNG")
            }
        }
        guard sawRoot else { return .refused("the file is not a PNG, a JPEG or an SVG (its root element must be <svg>)") }
        // Character references other than the predefined five could spell anything.
        var k = 0
        while k < bytes.count {
            if bytes[k] == UInt8(ascii: "&") {
                guard ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].contains(where: { starts(k, $0) }) else {
                    return .refused("the SVG holds a character or entity reference (&…;) other than &amp; &lt; &gt; &quot; &apos;")
                }
            }
            // url( must name a local #fragment.
            if starts(k, "url(") {
                var m = k + 4
                while m < bytes.count, bytes[m] == 0x20 || bytes[m] == 0x09 || bytes[m] == 0x0A || bytes[m] == 0x0D || bytes[m] == 0x27 || bytes[m] == 0x22 { m += 1 }
                guard m < bytes.count, bytes[m] == UInt8(ascii: "#") else {
                    return .refused("the SVG refers to something outside itself (url() not to a #fragment)")
                }
            }
            k += 1
        }
        return .image(mediaType: "image/svg+xml")
    }

    /// The attributes of a tag, in order, as (name, value): names and values
    /// as the parser of `attributeProblem` and an XML reader see them
    /// (whitespace allowed around `=`, quoted or bare values).
    static func attributes(_ attributes: Substring) -> [(name: String, value: String)] {
        var out: [(name: String, value: String)] = []
        var s = attributes
        while true {
            s = s.drop { $0.isWhitespace || $0 == "/" }
            guard !s.isEmpty else { return out }
            let name = s.prefix { !$0.isWhitespace && $0 != "=" && $0 != "/" }
            guard !name.isEmpty else { return out }
            s = s.dropFirst(name.count).drop(while: \.isWhitespace)
            var value = ""
            if s.first == "=" {
                s = s.dropFirst().drop(while: \.isWhitespace)
                if let quote = s.first, quote == "\"" || quote == "'" {
                    let body = s.dropFirst().prefix { $0 != quote }
                    value = String(body)
                    s = s.dropFirst(body.count + 1)
                    if s.first == quote { s = s.dropFirst() }
                } else {
                    let body = s.prefix { !$0.isWhitespace }
                    value = String(body)
                    s = s.dropFirst(body.count)
                }
            }
            out.append((String(name), value))
        }
    }

    /// `name (space+ attr="value" | attr='value')* space* /?`, or `/name space*`:
    /// names of letters, digits and `-_.:`, `=` with optional spaces around.
    static func isStrictTag(_ t: [UInt8]) -> Bool {
        func isName(_ c: UInt8) -> Bool {
            (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x5F || c == 0x2E || c == 0x3A
        }
        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
        var k = 0
        let closing = t.first == UInt8(ascii: "/")
        if closing { k = 1 }
        let start = k
        while k < t.count, isName(t[k]) { k += 1 }
        guard k > start else { return false }
        if closing {
            while k < t.count, isSpace(t[k]) { k += 1 }
            return k == t.count
        }
        while true {
            let before = k
            while k < t.count, isSpace(t[k]) { k += 1 }
            if k == t.count { return true }
            if t[k] == UInt8(ascii: "/") { return k + 1 == t.count }
            // An attribute needs space before it.
            guard k > before else { return false }
            let nameStart = k
            while k < t.count, isName(t[k]) { k += 1 }
            guard k > nameStart else { return false }
            while k < t.count, isSpace(t[k]) { k += 1 }
            guard k < t.count, t[k] == UInt8(ascii: "=") else { return false }
            k += 1
            while k < t.count, isSpace(t[k]) { k += 1 }
            guard k < t.count, t[k] == UInt8(ascii: "\"") || t[k] == UInt8(ascii: "'") else { return false }
            let quote = t[k]
            k += 1
            while k < t.count, t[k] != quote {
                if t[k] == UInt8(ascii: "<") || t[k] == UInt8(ascii: ">") { return false }
                k += 1
            }
            guard k < t.count else { return false }
            k += 1
        }
    }

    /// The elements a logo may use (local names, lowercased).
    static let svgElements: Set<String> = [
        "svg", "g", "defs", "title", "desc", "symbol", "use", "a", "path", "rect", "circle", "ellipse", "line", "polyline",
        "polygon", "text", "tspan", "textpath", "lineargradient", "radialgradient", "stop", "clippath", "mask", "pattern",
        "marker", "style", "set", "animate", "animatetransform", "animatemotion", "mpath",
    ]

    /// The first refused attribute of a tag: an event handler, or a link
    /// (`href`, `xlink:href`, `src`) to anything but a local `#fragment`.
    static func attributeProblem(_ tagAttributes: Substring) -> String? {
        for (name, value) in attributes(tagAttributes) {
            let local = name.split(separator: ":").last.map(String.init) ?? name
            if local.hasPrefix("on") { return "the SVG has an event handler attribute (\(name)=), which no logo may" }
            if ["href", "src"].contains(local) {
                let target = value.trimmingCharacters(in: .whitespacesAndNewlines)
                if !target.hasPrefix("#") { return "the SVG links to something outside itself (\(name)= not a #fragment)" }
            }
        }
        return nil
    }

    /// CRC-32 (ISO 3309, as PNG uses it), a byte at a time from a table.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        crcTable.withUnsafeBufferPointer { table in
            for byte in bytes { crc = (crc >> 8) ^ table[Int((crc ^ UInt32(byte)) & 0xFF)] }
        }
        return ~crc
    }

    /// The CRC of each byte value (the reflected polynomial 0xEDB88320).
    private static let crcTable: [UInt32] = (0..<256).map { (n: Int) -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c >> 1) ^ (0xEDB8_8320 & (0 &- (c & 1))) }
        return c
    }
}

import Foundation

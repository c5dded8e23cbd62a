import JSONSchema
import Testing
@testable import MailformCore

/// Values edited in place: everything else stays byte for byte, and what
/// cannot be edited safely gives nil.
struct YAMLScalarPatchTests {
    static let file = """
        # Größe: ein Kommentar — with non-ASCII before the values
        company: umbrella   # the id
        name: "Umbrella Europa GmbH"
        sender:
          email: datenschutz@umbrella.example.de
          name: 'Umbrella Datenschutz'  # quoted
        smtp:
          port: 587
          ssl: false
        pools:
          - name: tx
        notes: |
          a block
        """

    @Test func onlyTheEditedValuesChange() throws {
        let bytes = Array(Self.file.utf8)
        let patched = try #require(YAMLScalarPatch.patch(bytes, [
            .init(path: "sender.name", value: .string("Änderung: on the page")),
            .init(path: "name", value: .string("true")),
            .init(path: "smtp.port", value: .integer(465)),
            .init(path: "smtp.ssl", value: .bool(true)),
        ]))
        let text = String(decoding: patched, as: UTF8.self)
        #expect(text == Self.file
            .replacingOccurrences(of: "'Umbrella Datenschutz'", with: "\"Änderung: on the page\"")
            .replacingOccurrences(of: "\"Umbrella Europa GmbH\"", with: "\"true\"")
            .replacingOccurrences(of: "port: 587", with: "port: 465")
            .replacingOccurrences(of: "ssl: false", with: "ssl: true"), "\(text)")
    }

    @Test func whatCannotBeEditedGivesNil() {
        let bytes = Array(Self.file.utf8)
        #expect(YAMLScalarPatch.patch(bytes, [.init(path: "sender.missing", value: .string("x"))]) == nil, "a key the file lacks")
        #expect(YAMLScalarPatch.patch(bytes, [.init(path: "pools.name", value: .string("x"))]) == nil, "inside a list")
        #expect(YAMLScalarPatch.patch(bytes, [.init(path: "notes", value: .string("x"))]) == nil, "a block scalar")
        #expect(YAMLScalarPatch.patch(bytes, [.init(path: "sender", value: .string("x"))]) == nil, "a mapping")
        #expect(YAMLScalarPatch.patch(bytes, [.init(path: "name", value: .array([]))]) == nil, "not a scalar value")
        #expect(YAMLScalarPatch.patch(Array("a: &x 1\nb: *x\n".utf8), [.init(path: "a", value: .integer(2))]) == nil, "aliases")
        #expect(YAMLScalarPatch.patch(Array("a: [1".utf8), [.init(path: "a", value: .integer(2))]) == nil, "not YAML")
    }

    /// From the hostile review: values that read back otherwise are quoted or escaped.
    @Test func scalarsReadBackAsWritten() throws {
        for value in ["@x", "@", "`x", "a\u{85}b", "a\u{2028}b", "a\u{2029}b", "\u{FEFF}x", "a\u{9F}b", "yes", "0x1F", " lead", "a #b"] {
            let bytes = Array("name: old\n".utf8)
            let patched = try #require(YAMLScalarPatch.patch(bytes, [.init(path: "name", value: .string(value))]), "\(value.debugDescription)")
            guard case .success(let root) = YAMLLoader(source: 0).load(patched), case .object(let members) = root.value,
                  case .string(let back) = members.first?.value.value else { Issue.record("\(value.debugDescription)"); continue }
            #expect(back == value, "\(value.debugDescription) read back as \(back.debugDescription)")
        }
    }

    /// A line break YAML knows (a lone CR, U+0085, U+2028) before the value: the right line is edited.
    @Test func otherLineBreaksKeepTheLines() throws {
        for br in ["\r", "\r\n", "\u{85}", "\u{2028}"] {
            let file = "# note\(br)\ncompany: x\nname: old\n"
            let patched = try #require(YAMLScalarPatch.patch(Array(file.utf8), [.init(path: "name", value: .string("new"))]), "\(br.debugDescription)")
            #expect(String(decoding: patched, as: UTF8.self) == file.replacingOccurrences(of: "name: old", with: "name: new"))
        }
    }
}

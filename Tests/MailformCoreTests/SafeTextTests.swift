import Testing
@testable import MailformCore

/// Ids on one line stay one readable line, whatever their number, and escaped.
struct SafeTextTests {
    @Test func aLongListOfIdsIsCut() {
        #expect(SafeText.list(["a", "b"]) == "a, b")
        let many = (0..<2_000).map { "c\($0)" }
        let line = SafeText.list(many)
        #expect(line.hasSuffix("c19 and 1980 more") && line.hasPrefix("c0, c1, "))
        #expect(SafeText.list(["x\u{1B}[2Jy"]) == SafeText.escape("x\u{1B}[2Jy"))
    }
}

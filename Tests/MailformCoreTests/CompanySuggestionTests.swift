import Testing
@testable import MailformCore

struct CompanySuggestionTests {
    /// A mistyped `--company` id gets the id it likely meant, among a fleet's
    /// 100,000 (the 500 sharing the longest start are measured); a pattern
    /// with wildcards, or nothing near, gets none.
    @Test func aMistypedIdGetsTheOneItLikelyMeant() {
        let ids = (0..<100_000).map { n -> String in
            let digits = String(n)
            return "c" + String(repeating: "0", count: 6 - digits.count) + digits
        }
        #expect(ids.contains("c099999") && ids.contains("c000010"))
        let note = CompanySuggestion.note(for: ["c99999"], among: ids)
        #expect(note == " (did you mean c099999?)")
        #expect(CompanySuggestion.note(for: ["c0999*"], among: ids) == "")
        #expect(CompanySuggestion.note(for: ["wayne-enterprises"], among: ids) == "")
        #expect(CompanySuggestion.note(for: ["acme", "globx"], among: ["acme-eu", "globex", "initech"]) == " (did you mean globex?)")
        #expect(CompanySuggestion.note(for: [String(repeating: "c", count: 10_000)], among: ids) == "")
    }
}

import Testing
@testable import MailformStore

/// The shape check of `written_state.fields`, read for every company of a
/// plan: another writer's row that is not mailform's form fails closed.
@Suite struct WrittenStateTests {
    @Test func fieldListsAreEightHexDigitsSingleSpaced() {
        #expect(WrittenState.isFieldList(""))
        #expect(WrittenState.isFieldList("0123abcd"))
        #expect(WrittenState.isFieldList("0123abcd 89abcdef 00000000"))
        for bad in ["0123abc", "0123abcd ", " 0123abcd", "0123ABCD", "0123abcd  89abcdef", "0123abcdx", "0123abcd0",
                    "0123abcd\t89abcdef", "0123abcd 89abcde", "ｆ123abcd", " "] {
            #expect(!WrittenState.isFieldList(bad), "\(bad)")
        }
        #expect(!WrittenState.isFieldList(Array(repeating: "0123abcd", count: 100_001).joined(separator: " ")))
    }
}

import SPF
import Testing

/// Macro expansion, mostly the worked examples of RFC 7208 section 7.4.
struct MacroExpanderTests {
    static let context = SPFMacroContext(sender: "strong-bad@email.example.com", localPart: "strong-bad",
                                         senderDomain: "email.example.com", domain: "email.example.com",
                                         ip: IPAddress("192.0.2.3")!, helo: "mx.example.org",
                                         validatedName: "mx.example.org", receiver: "mx.example.net", timestamp: 1_400_000_000)

    static func expand(_ text: String, _ context: SPFMacroContext = context, as kind: SPFMacroString.Context = .domainSpec) throws -> String {
        MacroExpander.expand(try SPFMacroString(parsing: text, context: kind), in: context)
    }

    @Test(arguments: [
        ("%{s}", "strong-bad@email.example.com"),
        ("%{o}", "email.example.com"),
        ("%{d}", "email.example.com"),
        ("%{d4}", "email.example.com"),
        ("%{d3}", "email.example.com"),
        ("%{d2}", "example.com"),
        ("%{d1}", "com"),
        ("%{dr}", "com.example.email"),
        ("%{d2r}", "example.email"),
        ("%{l}", "strong-bad"),
        ("%{l-}", "strong.bad"),
        ("%{lr}", "strong-bad"),
        ("%{lr-}", "bad.strong"),
        ("%{l1r-}", "strong"),
        ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
        ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
        ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
        ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
        ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
        ("%{p}.%{h}", "mx.example.org.mx.example.org"),
    ])
    func rfcExamples(_ text: String, _ expected: String) throws {
        #expect(try Self.expand(text) == expected)
    }

    @Test func ipv6UsesNibblesAndTheIp6Label() throws {
        var context = Self.context
        context.ip = IPAddress("2001:db8::cb01")!
        // RFC 7208 prints the nibbles in lowercase; this library writes them in
        // uppercase as the test suite expects. DNS does not care.
        #expect(try Self.expand("%{ir}.%{v}._spf.%{d2}", context).lowercased()
            == "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com")
        #expect(try Self.expand("%{c}", context, as: .explanation) == "2001:db8::cb01")
    }

    @Test func escapesAndExplanationOnlyLetters() throws {
        #expect(try Self.expand("a%%b%_c%-d") == "a%b c%20d")
        #expect(try Self.expand("%{c} %{r} %{t}", as: .explanation) == "192.0.2.3 mx.example.net 1400000000")
        var context = Self.context
        context.localPart = "~jack&jill=up-a_b3.c"
        // Uppercase letters are URL-escaped after the transformers are applied.
        #expect(try Self.expand("%{L}", context) == "~jack%26jill%3Dup-a_b3.c")
        #expect(try Self.expand("%{S}", as: .explanation) == "strong-bad%40email.example.com")
        context.localPart = "foo-bar+zip+quux"
        #expect(try Self.expand("%{l2r+-}", context) == "bar.foo")
        context.validatedName = nil
        #expect(try Self.expand("%{p}", context) == "unknown")
    }

    @Test func malformedMacrosAreSyntaxErrors() {
        let bad: [(String, SPFMacroString.Context, String)] = [
            ("%{x}.example.com", .domainSpec, "macro \"%{x}\" in \"%{x}.example.com\" starts with \"x\", which is not a macro letter (s, l, o, d, i, p, h, v, c, r, t)"),
            ("%(ir).example.com", .domainSpec, "\"%(ir).example.com\" has \"%(\", which is not a macro (a \"%\" must be followed by \"{\", \"%\", \"_\" or \"-\")"),
            ("foo%", .domainSpec, "\"foo%\" ends with a lone \"%\" (write \"%%\" for a percent sign)"),
            ("%{d0}", .domainSpec, "macro \"%{d0}\" in \"%{d0}\" keeps zero parts; the digit transformer must be at least 1"),
            ("%{d2x}", .domainSpec, "macro \"%{d2x}\" in \"%{d2x}\" has \"x\" where only the delimiters . - + , / _ = may follow"),
            ("%{d", .domainSpec, "\"%{d\" has a \"%{\" macro with no closing \"}\""),
            ("%{r}.example.com", .domainSpec, "macro \"%{r}\" in \"%{r}.example.com\" is only allowed in explanation text"),
            ("a b", .domainSpec, "\"a b\" contains a space, which is not allowed there"),
            ("The %{x}-files.", .explanation, "macro \"%{x}\" in \"The %{x}-files.\" starts with \"x\", which is not a macro letter (s, l, o, d, i, p, h, v, c, r, t)"),
        ]
        for (text, kind, message) in bad {
            #expect(throws: SPFSyntaxError(message), "\(text)") { try SPFMacroString(parsing: text, context: kind) }
        }
        #expect((try? SPFMacroString(parsing: "%{c} from %{i} at %{t}", context: .explanation)) != nil)
    }
}

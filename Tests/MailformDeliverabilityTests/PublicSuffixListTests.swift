@testable import MailformDeliverability
import Testing

/// The organisational domain DMARC uses (RFC 7489 section 3.2), on Debian's
/// list and on small lists that isolate each rule kind.
struct PublicSuffixListTests {
    @Test func debianListFindsOrganizationalDomains() throws {
        let list = try PublicSuffixList.load()
        #expect(list.organizationalDomain(of: "mail.example.co.uk") == "example.co.uk")
        #expect(list.organizationalDomain(of: "example.co.uk") == "example.co.uk")
        #expect(list.organizationalDomain(of: "co.uk") == "co.uk", "a public suffix is its own organisational domain")
        #expect(list.organizationalDomain(of: "a.b.example.com") == "example.com")
        #expect(list.organizationalDomain(of: "Mail.Example.COM.") == "example.com", "case and a trailing dot do not matter")
        // Not on the list: the implicit "*" rule makes the last label the suffix.
        #expect(list.organizationalDomain(of: "mail.good.test") == "good.test")
        #expect(list.organizationalDomain(of: "good.test") == "good.test")
        // Wildcard *.ck with the exception !www.ck.
        #expect(list.organizationalDomain(of: "a.b.c.ck") == "b.c.ck")
        #expect(list.organizationalDomain(of: "www.ck") == "www.ck")
        #expect(list.organizationalDomain(of: "mail.www.ck") == "www.ck")
        // Wildcard *.kawasaki.jp with the exception !city.kawasaki.jp.
        #expect(list.organizationalDomain(of: "x.y.kawasaki.jp") == "x.y.kawasaki.jp")
        #expect(list.organizationalDomain(of: "a.x.y.kawasaki.jp") == "x.y.kawasaki.jp")
        #expect(list.organizationalDomain(of: "mail.city.kawasaki.jp") == "city.kawasaki.jp")
        // A Unicode rule (公司.cn) matches the ASCII spelling and the Unicode one.
        #expect(list.organizationalDomain(of: "mail.shop.xn--55qx5d.cn") == "shop.xn--55qx5d.cn")
        #expect(list.organizationalDomain(of: "mail.shop.公司.cn") == "shop.xn--55qx5d.cn")
        // The private section counts too, as DMARC implementations use it.
        #expect(list.organizationalDomain(of: "mail.acme.github.io") == "acme.github.io")
    }

    @Test func ruleKindsInIsolation() {
        let list = PublicSuffixList(text: """
            // comment
            uk
            co.uk
            *.wild.example
            !open.wild.example
            jp
            *.kobe.jp   trailing words are ignored
            """)
        #expect(list.ruleCount == 6)
        #expect(list.publicSuffix(of: "a.b.co.uk") == "co.uk", "the longest matching rule wins")
        #expect(list.publicSuffix(of: "a.b.wild.example") == "b.wild.example")
        #expect(list.publicSuffix(of: "a.open.wild.example") == "wild.example", "an exception beats the wildcard")
        #expect(list.publicSuffix(of: "wild.example") == "example", "a wildcard needs a label to stand for")
        #expect(list.publicSuffix(of: "x.y.kobe.jp") == "y.kobe.jp")
        #expect(list.publicSuffix(of: "a.b.unlisted") == "unlisted")
        #expect(list.organizationalDomain(of: "mail.a.open.wild.example") == "open.wild.example")
    }

    @Test func missingListThrows() {
        #expect(throws: PublicSuffixListError.self) { try PublicSuffixList.load(path: "/nonexistent/public_suffix_list.dat") }
    }

    @Test func punycode() {
        #expect(Punycode.asciiLabel("公司") == "xn--55qx5d")
        #expect(Punycode.asciiLabel("münchen") == "xn--mnchen-3ya")
        #expect(Punycode.asciiLabel("bücher") == "xn--bcher-kva")
        #expect(Punycode.asciiLabel("example") == "example")
        #expect(DomainNormalizer.normalize(" Mail.Bücher.DE. ") == "mail.xn--bcher-kva.de")
    }
}

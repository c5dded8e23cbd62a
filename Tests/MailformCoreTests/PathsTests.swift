import Testing
@testable import MailformCore

/// Paths are normalised before every fence decision.
struct PathsTests {
    @Test(arguments: [
        ("/a/b/../c", "/a/c"), ("/../x", "/x"), ("/a/./b//c/", "/a/b/c"), ("/", "/"), ("/a/..", "/"),
        ("/a/b/..", "/a"), ("/a/..b", "/a/..b"), ("/a/...", "/a/..."), ("/a/b/../../..", "/"), ("//a//", "/a"),
        ("/a/.hidden/../b", "/a/b"), ("/ä/ö/../ü", "/ä/ü"),
    ])
    func absolutePathsAreNormal(_ path: String, _ expected: String) {
        #expect(Paths.absolute(path) == expected)
    }

    @Test func relativePathsJoinTheBase() {
        #expect(Paths.absolute("../../secrets/x.txt", relativeTo: "/w/companies/eu") == "/w/secrets/x.txt")
        #expect(Paths.absolute("x.yaml", relativeTo: "/w") == "/w/x.yaml")
        #expect(Paths.absolute("./x", relativeTo: "/w/") == "/w/x")
    }
}

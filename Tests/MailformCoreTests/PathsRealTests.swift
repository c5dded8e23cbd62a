import Foundation
import Testing
@testable import MailformCore

/// `Paths.real` takes a file's folder's real path and the file's name when
/// the file is no link (one lstat instead of a readlink per component);
/// links, "..", "." and "//" still go through realpath.
struct PathsRealTests {
    @Test func lexicallyNormalPaths() {
        for good in ["/", "/a", "/a/b", "/a/.b", "/a/...", "/a/b.c"] where good != "/" { #expect(Paths.isLexicallyNormal(good), "\(good)") }
        for bad in ["/a//b", "/a/./b", "/a/../b", "/a/b/", "/a/.", "/a/..", "//a"] { #expect(!Paths.isLexicallyNormal(bad), "\(bad)") }
    }

    @Test func realPathsThroughLinksStayReal() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mailform-real-\(UUID().uuidString)").path
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/target/sub", withIntermediateDirectories: true)
        fm.createFile(atPath: root + "/target/sub/file.yaml", contents: Data("x".utf8))
        fm.createFile(atPath: root + "/target/other.yaml", contents: Data("y".utf8))
        try fm.createSymbolicLink(atPath: root + "/link", withDestinationPath: root + "/target")
        try fm.createSymbolicLink(atPath: root + "/target/sub/alias.yaml", withDestinationPath: "../other.yaml")
        defer { try? fm.removeItem(atPath: root) }
        let real = Paths.real(root)
        #expect(Paths.real(root + "/link/sub/file.yaml") == real + "/target/sub/file.yaml")
        #expect(Paths.real(root + "/link/sub/alias.yaml") == real + "/target/other.yaml", "a link as the last component is followed")
        #expect(Paths.real(root + "/link/sub/../other.yaml") == real + "/target/other.yaml", "'..' after a link is the target's parent")
        #expect(Paths.real(root + "/link/sub/missing.yaml") == real + "/target/sub/missing.yaml")
    }
}

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
        let (root, fm) = try Self.scratch("target/sub")
        _ = fm.createFile(atPath: root + "/target/sub/file.yaml", contents: Data("x".utf8))
        _ = fm.createFile(atPath: root + "/target/other.yaml", contents: Data("y".utf8))
        try fm.createSymbolicLink(atPath: root + "/link", withDestinationPath: root + "/target")
        try fm.createSymbolicLink(atPath: root + "/target/sub/alias.yaml", withDestinationPath: "../other.yaml")
        defer { try? fm.removeItem(atPath: root) }
        let real = Paths.real(root)
        #expect(Paths.real(root + "/link/sub/file.yaml") == real + "/target/sub/file.yaml")
        #expect(Paths.real(root + "/link/sub/alias.yaml") == real + "/target/other.yaml", "a link as the last component is followed")
        #expect(Paths.real(root + "/link/sub/../other.yaml") == real + "/target/other.yaml", "'..' after a link is the target's parent")
        #expect(Paths.real(root + "/link/sub/missing.yaml") == real + "/target/sub/missing.yaml")
    }

    /// A new folder under the temporary folder, with `sub` made inside it.
    static func scratch(_ sub: String) throws -> (root: String, fm: FileManager) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mailform-real-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/" + sub, withIntermediateDirectories: true)
        return (root, FileManager.default)
    }

    /// Only folders are remembered: a file's real path is looked at each
    /// time (a memo of every file held 80 MB at 100,000 companies), so a
    /// file turned into a link later in the run is seen as the link.
    @Test func aFilesRealPathIsNotRemembered() throws {
        let (root, fm) = try Self.scratch("a")
        defer { try? fm.removeItem(atPath: root) }
        _ = fm.createFile(atPath: root + "/a/file.txt", contents: Data("x".utf8))
        _ = fm.createFile(atPath: root + "/other.txt", contents: Data("y".utf8))
        let real = Paths.real(root)
        #expect(Paths.real(root + "/a/file.txt") == real + "/a/file.txt")
        try fm.removeItem(atPath: root + "/a/file.txt")
        try fm.createSymbolicLink(atPath: root + "/a/file.txt", withDestinationPath: "../other.txt")
        #expect(Paths.real(root + "/a/file.txt") == real + "/other.txt")
    }

    /// A folder whose walk met no link is remembered as such; the last
    /// component is still looked at, so a link beside a checked file is found.
    @Test func aLinkBesideACheckedFileIsFound() throws {
        let (root, fm) = try Self.scratch("secrets/batch")
        defer { try? fm.removeItem(atPath: root) }
        _ = fm.createFile(atPath: root + "/secrets/batch/a.txt", contents: Data("a".utf8))
        _ = fm.createFile(atPath: root + "/secrets/batch/b.txt", contents: Data("b".utf8))
        #expect(Paths.linkInside(root + "/secrets/batch/a.txt", folder: root) == nil)
        try fm.createSymbolicLink(atPath: root + "/secrets/batch/link.txt", withDestinationPath: "b.txt")
        #expect(Paths.linkInside(root + "/secrets/batch/link.txt", folder: root) == root + "/secrets/batch/link.txt")
        #expect(Paths.linkInside(root + "/secrets/batch/b.txt", folder: root) == nil)
        // A file of the same folder written with ".." still takes the whole walk.
        #expect(Paths.linkInside(root + "/secrets/batch/../batch/link.txt", folder: root) == root + "/secrets/batch/link.txt")
    }
}

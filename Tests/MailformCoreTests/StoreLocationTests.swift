import Testing
@testable import MailformCore

/// A PostgreSQL store URL: refused when it holds a password or anything
/// libpq would read otherwise than mailform, and never shown with one.
struct StoreLocationTests {
    @Test(arguments: [
        ("postgresql://app:hunter2@db/mail", "holds a password"),
        ("postgresql://app@db/mail?password=hunter2", "holds a password"),
        ("postgresql://app@db/mail?%70assword=hunter2", "percent-encoded"),
        ("postgresql://app@db/mail?host=evil.example", "may not set"),
        ("postgresql://app@db/mail?passfile=/etc/shadow", "may not set"),
        ("POSTGRESQL://app@db/mail", "in lower case"),
        ("postgresql://app@db", "names no database"),
        ("postgresql://app@db/mail ?sslmode=require", "space or a control character"),
    ])
    func refused(_ url: String, _ reason: String) {
        #expect(StoreLocation.urlProblem(url)?.contains(reason) == true, "\(url): \(StoreLocation.urlProblem(url) ?? "accepted")")
        #expect(!StoreLocation.display(url).contains("hunter2"), "\(StoreLocation.display(url))")
    }

    @Test func acceptedAndShownAsWritten() {
        for url in ["postgresql://app@db.internal:5432/mail?sslmode=verify-full&connect_timeout=5", "postgres://app@[::1]:5432/mail",
                    "postgresql://@/mail", "postgresql://app@h1:5432,h2:5433/mail"] {
            #expect(StoreLocation.urlProblem(url) == nil, "\(url): \(StoreLocation.urlProblem(url) ?? "")")
            #expect(StoreLocation.display(url) == url)
        }
    }

    @Test func shownWithoutAnythingElse() {
        #expect(StoreLocation.display("postgresql://app:secret@db/mail?sslmode=require&x%3D=secret&application_name=secret")
                == "postgresql://…@db/mail?sslmode=require&…&…")
        #expect(StoreLocation.display("postgresql://a%3Asecret@db%2F/x%2F") == "postgresql://…@…/…")
        #expect(Paths.display("postgresql://app:secret@db/mail") == "postgresql://…@db/mail")
    }
}

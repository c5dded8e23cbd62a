/// A DMARC `p=`/`sp=` value: what a receiver does with mail that fails.
enum DMARCPolicy: String, Sendable, Hashable {
    case none
    case quarantine
    case reject
}

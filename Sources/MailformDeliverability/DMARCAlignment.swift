/// `adkim=`/`aspf=`: relaxed (same organisational domain) or strict (same name).
enum DMARCAlignment: String, Sendable, Hashable {
    case relaxed = "r"
    case strict = "s"
}

import MailformCore

/// YAML loader + schema validator + policy, on arbitrary bytes: any input must
/// end in diagnostics or a company, never a crash, a hang or a sanitizer report.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLoader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = FuzzHarness.validateCompany(bytes)
    // The same bytes as a workspace file (mailform.yaml is PR-controlled too).
    _ = FuzzHarness.validateWorkspace(bytes)
    return 0
}

/// libFuzzer's driver, for a main of our own (SwiftPM names the executable's
/// entry `FuzzLoader_main`).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("FuzzLoader_main")
public func FuzzLoaderMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzLoader)
}

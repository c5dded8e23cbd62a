import Foundation
import MailformCore

/// Saved-plan parsing: arbitrary bytes must be refused cleanly or read.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPlan(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // Past the MAC: the decoded plan and its settings are fuzzed too.
    _ = FuzzHarness.savedPlan(Array(UnsafeBufferPointer(start: data, count: size)), authenticate: { Digest.sha256Hex($0) })
    return 0
}

/// libFuzzer's driver, for a main of our own (SwiftPM names the executable's
/// entry `FuzzPlan_main`).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("FuzzPlan_main")
public func FuzzPlanMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzPlan)
}

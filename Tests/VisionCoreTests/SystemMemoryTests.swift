import Testing
@testable import VisionCore

/// `/health`'s memory figures parse /proc's `Key:<tab>N kB` lines at every size.
@Suite struct SystemMemoryTests {
    @Test func readsKilobytesWithOrWithoutPaddingAfterTheTab() {
        let status = "Name:\tvision-models-a\nVmPeak:\t 1234567 kB\nVmRSS:\t10485760 kB\nThreads:\t40\n"
        // From 10^7 kB on the kernel's 8-wide padding leaves no space after the tab.
        #expect(SystemMemory.kilobytes(in: status, key: "VmRSS:") == 10_485_760)
        #expect(SystemMemory.kilobytes(in: status, key: "VmPeak:") == 1_234_567)
        #expect(SystemMemory.kilobytes(in: "MemAvailable:   21474836 kB\n", key: "MemAvailable:") == 21_474_836)
        #expect(SystemMemory.kilobytes(in: status, key: "VmSwap:") == nil)
    }

    @Test func thisProcessHasAResidentSize() {
        #expect((SystemMemory.residentBytes() ?? 0) > 1_000_000)
    }
}

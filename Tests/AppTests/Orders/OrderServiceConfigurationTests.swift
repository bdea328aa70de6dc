import App
import Testing

struct OrderServiceConfigurationTests {
    @Test func defaultsMirrorOrderDeskAndTheDesign() throws {
        let configuration = try OrderServiceConfiguration(reader: EnvironmentReader([:]))
        #expect(configuration == OrderServiceConfiguration())
        #expect(configuration.orderTTL == .seconds(15))
        #expect(configuration.listTTL == .seconds(15))
        #expect(configuration.upstreamBurst == 20)
        #expect(configuration.upstreamPerSecond == 3)
        #expect(configuration.upstreamMaxWait == .milliseconds(2_000))
        #expect(configuration.upstreamConcurrencyPerTenant == 4)
        #expect(configuration.updateLockTimeout == .milliseconds(30_000))
        #expect(configuration.idempotencyTTL == .seconds(86_400))
    }

    @Test func everySettingIsReadFromTheEnvironment() throws {
        let configuration = try OrderServiceConfiguration(
            reader: EnvironmentReader([
                "ORDER_CACHE_TTL_SECONDS": "0", "ORDER_LIST_CACHE_TTL_SECONDS": "60", "UPSTREAM_BUCKET_BURST": "40",
                "UPSTREAM_BUCKET_PER_SECOND": "0.5", "UPSTREAM_MAX_WAIT_MS": "250", "ORDER_LOCK_TIMEOUT_MS": "1000",
                "UPSTREAM_MAX_CONCURRENT_PER_TENANT": "12",
            ]))
        #expect(configuration.orderTTL == .zero)
        #expect(configuration.listTTL == .seconds(60))
        #expect(configuration.upstreamBurst == 40)
        #expect(configuration.upstreamPerSecond == 0.5)
        #expect(configuration.upstreamMaxWait == .milliseconds(250))
        #expect(configuration.updateLockTimeout == .seconds(1))
        #expect(configuration.upstreamConcurrencyPerTenant == 12)
    }

    @Test func badValuesNameTheVariableWithoutEchoingIt() {
        for (name, value) in [
            ("ORDER_CACHE_TTL_SECONDS", "-17"), ("UPSTREAM_BUCKET_BURST", "0.25"), ("UPSTREAM_BUCKET_PER_SECOND", "lots"),
            ("UPSTREAM_MAX_WAIT_MS", "1.5"), ("ORDER_LOCK_TIMEOUT_MS", "9999999"),
            ("UPSTREAM_MAX_CONCURRENT_PER_TENANT", "-1"), ("UPSTREAM_MAX_CONCURRENT_PER_TENANT", "1001"),
            ("UPSTREAM_MAX_CONCURRENT_PER_TENANT", "four"),
        ] {
            #expect {
                try OrderServiceConfiguration(reader: EnvironmentReader([name: value]))
            } throws: { error in
                guard let error = error as? ConfigurationError else { return false }
                return error.variable == name && !error.description.contains(value)
            }
        }
    }

    /// No upstream call could ever run with a limit of zero: refused at start-up, not at the first call.
    @Test func zeroConcurrentUpstreamCallsIsRefused() {
        #expect(throws: ConfigurationError.self) {
            try OrderServiceConfiguration(reader: EnvironmentReader(["UPSTREAM_MAX_CONCURRENT_PER_TENANT": "0"]))
        }
    }
}

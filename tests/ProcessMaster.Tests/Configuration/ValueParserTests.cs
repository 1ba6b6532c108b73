using ProcessMaster.Core.Configuration.Values;

namespace ProcessMaster.Tests.Configuration;

public class ValueParserTests
{
    [Theory]
    [InlineData("0", 0L)]
    [InlineData("512", 512L)]
    [InlineData("10m", 10_000_000L)]
    [InlineData("10MB", 10_000_000L)]
    [InlineData("10mb", 10_000_000L)]
    [InlineData("1k", 1000L)]
    [InlineData("64MiB", 67_108_864L)]
    [InlineData("64Mi", 67_108_864L)]
    [InlineData("1.5GiB", 1_610_612_736L)]
    [InlineData("2 GiB", 2_147_483_648L)]
    [InlineData("1t", 1_000_000_000_000L)]
    [InlineData("1TiB", 1_099_511_627_776L)]
    public void ByteSize_Parse_AcceptsDecimalAndBinaryUnits(string text, long expected) =>
        Assert.Equal(expected, ByteSize.Parse(text));

    [Theory]
    [InlineData("1.5")]
    [InlineData("10x")]
    [InlineData("m10")]
    [InlineData("")]
    [InlineData("-5m")]
    [InlineData("ten")]
    public void ByteSize_Parse_RejectsGarbage(string text) =>
        Assert.Throws<FormatException>(() => ByteSize.Parse(text));

    [Theory]
    [InlineData("MAX")]
    [InlineData("max")]
    public void ByteSize_ParseLimit_MaxIsUnlimited(string text) => Assert.Null(ByteSize.ParseLimit(text));

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("30s", 30_000)]
    [InlineData("10m", 600_000)]
    [InlineData("2h", 7_200_000)]
    [InlineData("1d", 86_400_000)]
    [InlineData("1.5s", 1500)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("1M", 60_000)]
    public void DurationText_Parse_AcceptsUnits(string text, long expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), DurationText.Parse(text));

    [Theory]
    [InlineData("10")]
    [InlineData("")]
    [InlineData("-1s")]
    [InlineData("5w")]
    [InlineData("s")]
    public void DurationText_Parse_RejectsMissingOrUnknownUnits(string text) =>
        Assert.Throws<FormatException>(() => DurationText.Parse(text));

    [Fact]
    public void DurationText_Parse_BareNumberIsMillisecondsWhereAllowed() =>
        Assert.Equal(TimeSpan.FromMinutes(3), DurationText.Parse("180000", bareNumberIsMilliseconds: true));

    [Theory]
    [InlineData("100m", "10000 100000")]
    [InlineData("1.5", "150000 100000")]
    [InlineData("2", "200000 100000")]
    [InlineData("200m", "20000 100000")]
    [InlineData("250M", "25000 100000")]
    public void CpuLimit_Parse_WritesCpuMax(string text, string cpuMax) =>
        Assert.Equal(cpuMax, CpuLimit.Parse(text).ToCpuMax().ToString());

    [Theory]
    [InlineData("-1")]
    [InlineData("0")]
    [InlineData("5m")]
    [InlineData("abc")]
    [InlineData("1.5m")]
    public void CpuLimit_Parse_RejectsInvalid(string text) => Assert.Throws<FormatException>(() => CpuLimit.Parse(text));

    [Theory]
    [InlineData("660", 0x1B0)]
    [InlineData("0660", 0x1B0)]
    [InlineData("0o660", 0x1B0)]
    [InlineData("0O600", 0x180)]
    [InlineData("4755", 0x9ED)]
    [InlineData("7777", 0xFFF)]
    public void OctalMode_Parse_ReadsDigitsAsOctal(string text, int expected) => Assert.Equal(expected, OctalMode.Parse(text));

    [Theory]
    [InlineData("680")]
    [InlineData("10000")]
    [InlineData("")]
    [InlineData("rw")]
    public void OctalMode_Parse_RejectsInvalid(string text) => Assert.Throws<FormatException>(() => OctalMode.Parse(text));

    [Theory]
    [InlineData("SIGTERM", 15)]
    [InlineData("term", 15)]
    [InlineData("SigKill", 9)]
    [InlineData("HUP", 1)]
    [InlineData("USR2", 12)]
    [InlineData("15", 15)]
    [InlineData("34", 34)]
    public void SignalName_Parse_AcceptsNamesWithOrWithoutSig_AndNumbers(string text, int expected) =>
        Assert.Equal(expected, SignalName.Parse(text));

    [Theory]
    [InlineData("0")]
    [InlineData("65")]
    [InlineData("-1")]
    [InlineData("SIGFOO")]
    [InlineData("")]
    public void SignalName_Parse_RejectsUnknownNamesAndNumbers(string text) =>
        Assert.Throws<FormatException>(() => SignalName.Parse(text));

    [Theory]
    [InlineData("web")]
    [InlineData("my-app_2.0")]
    [InlineData("A")]
    public void ApplicationName_Validate_AcceptsSafeNames(string name) => Assert.Null(ApplicationName.Validate(name));

    [Theory]
    [InlineData("")]
    [InlineData(".hidden")]
    [InlineData("..")]
    [InlineData("../x")]
    [InlineData("a/b")]
    [InlineData("with space")]
    [InlineData("all")]
    [InlineData("ALL")]
    [InlineData("tab\tname")]
    public void ApplicationName_Validate_RejectsUnsafeOrReservedNames(string name) =>
        Assert.NotNull(ApplicationName.Validate(name));

    [Fact]
    public void ApplicationName_Validate_RejectsNamesOver64Characters()
    {
        Assert.Null(ApplicationName.Validate(new string('a', 64)));
        Assert.NotNull(ApplicationName.Validate(new string('a', 65)));
    }

    [Fact]
    public void EnvironmentValue_Decode_HandlesIndirections()
    {
        byte[] NoFile(string path) => throw new InvalidOperationException();
        Assert.Equal("plain", EnvironmentValue.Decode("plain", NoFile));
        Assert.Equal("hello", EnvironmentValue.Decode("@base64://aGVsbG8=", NoFile));
        Assert.Equal("hello", EnvironmentValue.Decode("@b64://aGVsbG8=", NoFile));
        Assert.Equal("hi", EnvironmentValue.Decode("@hex://6869", NoFile));
        Assert.Equal("hi", EnvironmentValue.Decode("@hex://0x68:69", NoFile));
        Assert.Equal("secret", EnvironmentValue.Decode("@file:///run/x", p => p == "/run/x" ? "secret"u8.ToArray() : []));
    }

    [Theory]
    [InlineData("@base64://!!!")]
    [InlineData("@hex://abc")]
    [InlineData("@hex://00")]
    public void EnvironmentValue_Decode_RejectsUndecodableValues(string value) =>
        Assert.Throws<FormatException>(() => EnvironmentValue.Decode(value, _ => []));

    [Fact]
    public void EnvironmentValue_ReadFile_RefusesDevicesAndLargeFiles()
    {
        Assert.Throws<FormatException>(() => EnvironmentValue.ReadFile("/dev/zero"));
        Assert.Throws<FormatException>(() => EnvironmentValue.ReadFile("/nonexistent/secret"));
        var big = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(big, new byte[EnvironmentValue.MaxFileBytes + 1]);
            Assert.Throws<FormatException>(() => EnvironmentValue.ReadFile(big));
            File.WriteAllText(big, "token");
            Assert.Equal("token"u8.ToArray(), EnvironmentValue.ReadFile(big));
        }
        finally
        {
            File.Delete(big);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("A=B")]
    public void EnvironmentValue_CheckName_RejectsEmptyAndEquals(string name) =>
        Assert.Throws<FormatException>(() => EnvironmentValue.CheckName(name));

    [Fact]
    public void ScheduleBound_Parse_DateOnlyNotAfterCoversTheWholeDay()
    {
        var utc = TimeZoneInfo.Utc;
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero), ScheduleBound.Parse("2026-03-01", utc, false));
        var end = ScheduleBound.Parse("2026-03-01", utc, true);
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 0, 0, 0, TimeSpan.Zero), end.AddTicks(1));
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 12, 30, 5, TimeSpan.Zero), ScheduleBound.Parse("2026-03-01 12:30:05", utc, true));
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 12, 30, 5, TimeSpan.Zero), ScheduleBound.Parse("2026-03-01_12:30:05", utc, true));
        Assert.Throws<FormatException>(() => ScheduleBound.Parse("03/01/2026", utc, false));
    }

    [Fact]
    public void CronSchedule_Parse_AcceptsFiveSixFieldsAndMacros()
    {
        var utc = TimeZoneInfo.Utc;
        var start = new DateTimeOffset(2026, 1, 1, 10, 0, 30, TimeSpan.Zero);
        Assert.Equal(start.AddSeconds(30), CronSchedule.Parse("* * * * *", utc).Next(start));
        Assert.Equal(start.AddSeconds(2), CronSchedule.Parse("*/4 * * * * *", utc).Next(start));
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 11, 0, 0, TimeSpan.Zero), CronSchedule.Parse("@hourly", utc).Next(start));
    }

    [Fact]
    public void CronSchedule_Parse_UsesStandardDayOfWeekNumbering()
    {
        // 2026-01-01 is a Thursday; 0 and 7 are Sunday, 1 is Monday.
        var utc = TimeZoneInfo.Utc;
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(DayOfWeek.Sunday, CronSchedule.Parse("0 0 * * 0", utc).Next(start)!.Value.DayOfWeek);
        Assert.Equal(DayOfWeek.Sunday, CronSchedule.Parse("0 0 * * 7", utc).Next(start)!.Value.DayOfWeek);
        Assert.Equal(DayOfWeek.Monday, CronSchedule.Parse("0 0 * * 1", utc).Next(start)!.Value.DayOfWeek);
    }

    [Theory]
    [InlineData("* * * *")]
    [InlineData("* * * * * * *")]
    [InlineData("61 * * * *")]
    [InlineData("@sometimes")]
    public void CronSchedule_Parse_RejectsInvalidExpressions(string text) =>
        Assert.Throws<FormatException>(() => CronSchedule.Parse(text, TimeZoneInfo.Utc));

    [Theory]
    [InlineData("253:8", "253:8")]
    [InlineData(" 008:016 ", "8:16")]
    [InlineData("/dev/vda", "/dev/vda")]
    [InlineData("/dev/disk/by-uuid/1234-abcd", "/dev/disk/by-uuid/1234-abcd")]
    public void BlockDeviceName_TakesNumbersOrAPath(string text, string expected) => Assert.Equal(expected, BlockDeviceName.Parse(text));

    [Theory]
    [InlineData("vda")]
    [InlineData("253")]
    [InlineData("253:")]
    [InlineData("-1:0")]
    [InlineData("/home/alice/fuse/disk")]
    [InlineData("/dev/../home/alice/disk")]
    [InlineData("")]
    public void BlockDeviceName_RejectsAnythingElse(string text) =>
        Assert.Contains("not a block device", Assert.Throws<FormatException>(() => BlockDeviceName.Parse(text)).Message);
}

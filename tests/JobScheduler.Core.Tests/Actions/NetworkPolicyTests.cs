using System.Net;
using JobScheduler.Core.Actions;

namespace JobScheduler.Core.Tests.Actions;

public class NetworkPolicyTests
{
    private static readonly NetworkPolicy Default = NetworkPolicy.Default;

    [Theory]
    [InlineData("0.0.0.0", "0.0.0.0/8")]
    [InlineData("10.0.0.5", "10.0.0.0/8")]
    [InlineData("100.64.0.1", "100.64.0.0/10")]
    [InlineData("100.100.100.200", "100.64.0.0/10")]
    [InlineData("127.0.0.1", "127.0.0.0/8")]
    [InlineData("127.255.255.254", "127.0.0.0/8")]
    [InlineData("169.254.169.254", "169.254.0.0/16")]
    [InlineData("172.16.0.1", "172.16.0.0/12")]
    [InlineData("172.31.255.255", "172.16.0.0/12")]
    [InlineData("192.0.0.170", "192.0.0.0/24")]
    [InlineData("192.168.1.1", "192.168.0.0/16")]
    [InlineData("198.18.0.1", "198.18.0.0/15")]
    [InlineData("198.19.255.255", "198.18.0.0/15")]
    [InlineData("224.0.0.1", "224.0.0.0/4")]
    [InlineData("239.255.255.250", "224.0.0.0/4")]
    [InlineData("240.0.0.1", "240.0.0.0/4")]
    [InlineData("255.255.255.255", "240.0.0.0/4")]
    [InlineData("::", "::/128")]
    [InlineData("::1", "::1/128")]
    [InlineData("::7f00:1", "::/96")]
    [InlineData("64:ff9b::a9fe:a9fe", "64:ff9b::/96")]
    [InlineData("2002:7f00:1::", "2002::/16")]
    [InlineData("fc00::1", "fc00::/7")]
    [InlineData("fd00:ec2::254", "fc00::/7")]
    [InlineData("fe80::1", "fe80::/10")]
    [InlineData("fe80::1%2", "fe80::/10")]
    [InlineData("fec0::1", "fec0::/10")]
    [InlineData("ff02::1", "ff00::/8")]
    public void BlockingNetwork_DefaultRanges_NameTheRange(string address, string network)
    {
        Assert.Equal(IPNetwork.Parse(network), Default.BlockingNetwork(IPAddress.Parse(address)));
        Assert.False(Default.IsAllowed(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("::ffff:10.0.0.1", "10.0.0.0/8")]
    [InlineData("::ffff:127.0.0.1", "127.0.0.0/8")]
    [InlineData("::ffff:169.254.169.254", "169.254.0.0/16")]
    public void BlockingNetwork_IPv4MappedIPv6_IsJudgedAsTheIPv4Address(string address, string network)
    {
        Assert.Equal(IPNetwork.Parse(network), Default.BlockingNetwork(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("2130706433")]
    [InlineData("0x7f.1")]
    [InlineData("017700000001")]
    [InlineData("127.1")]
    public void OddSpellingsOfLoopback_AreLoopbackOnceParsed(string spelling)
    {
        Assert.True(IPAddress.TryParse(spelling, out var parsed));
        Assert.False(Default.IsAllowed(parsed));
        Assert.NotNull(Default.CheckHost(new Uri($"http://{spelling}/latest")));
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("93.184.216.34")]
    [InlineData("100.63.255.255")]
    [InlineData("100.128.0.0")]
    [InlineData("172.32.0.1")]
    [InlineData("198.20.0.1")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]
    public void IsAllowed_PublicAddresses_AreAllowed(string address)
    {
        Assert.True(Default.IsAllowed(IPAddress.Parse(address)));
        Assert.Null(Default.BlockingNetwork(IPAddress.Parse(address)));
    }

    [Fact]
    public void IsAllowed_AnAllowedNetwork_ReopensOnlyThatRange()
    {
        var policy = NetworkPolicy.Parse(["127.0.0.0/8", "::1/128"]);

        Assert.True(policy.IsAllowed(IPAddress.Parse("127.0.0.1")));
        Assert.True(policy.IsAllowed(IPAddress.Parse("::ffff:127.0.0.1")));
        Assert.True(policy.IsAllowed(IPAddress.IPv6Loopback));
        Assert.False(policy.IsAllowed(IPAddress.Parse("169.254.169.254")));
        Assert.False(policy.IsAllowed(IPAddress.Parse("10.0.0.1")));
    }

    [Fact]
    public void IsAllowed_ASingleAllowedAddress_ReopensOnlyIt()
    {
        var policy = NetworkPolicy.Parse(["10.1.2.3"]);

        Assert.True(policy.IsAllowed(IPAddress.Parse("10.1.2.3")));
        Assert.False(policy.IsAllowed(IPAddress.Parse("10.1.2.4")));
    }

    [Fact]
    public void Parse_SeveralInOneEntry_ReadsEach()
    {
        var policy = NetworkPolicy.Parse(["127.0.0.0/8, ::1/128", "fd00::/8"]);

        Assert.Equal([IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128"), IPNetwork.Parse("fd00::/8")], policy.AllowedNetworks);
    }

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("intranet")]
    [InlineData("10.0.0/8x")]
    public void Parse_NotANetwork_NamesTheEntryAndTheKey(string entry)
    {
        var error = Assert.Throws<FormatException>(() => NetworkPolicy.Parse([entry]));

        Assert.Contains($"'{entry}'", error.Message);
        Assert.Contains(NetworkPolicy.ConfigurationKey, error.Message);
    }

    [Fact]
    public void Refusal_NamesTheAddressTheRangeAndTheKey()
    {
        Assert.Equal(
            "10.0.0.5 is in a blocked network (10.0.0.0/8); allow it with JobScheduler:Actions:Http:AllowedNetworks",
            Default.Refusal(IPAddress.Parse("10.0.0.5")));
        Assert.Null(Default.Refusal(IPAddress.Parse("8.8.8.8")));
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/run")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://[::1]/")]
    [InlineData("http://[::ffff:10.0.0.1]/")]
    [InlineData("http://[fd00:ec2::254]/latest")]
    [InlineData("http://100.100.100.200/latest/meta-data")]
    [InlineData("http://0/")]
    [InlineData("http://localhost/")]
    [InlineData("http://LOCALHOST./")]
    [InlineData("http://api.localhost:5080/")]
    public void CheckHost_BlockedLiteralOrLocalhost_IsRefused(string url)
    {
        Assert.Contains(NetworkPolicy.ConfigurationKey, Default.CheckHost(new Uri(url)));
    }

    [Theory]
    [InlineData("https://example.com/hook")]
    [InlineData("http://8.8.8.8/")]
    [InlineData("http://internal.corp/")] // names are resolved when the action runs, not at submission
    [InlineData("http://localhost.example.com/")]
    public void CheckHost_PublicLiteralOrAName_IsNotRefused(string url)
    {
        Assert.Null(Default.CheckHost(new Uri(url)));
    }

    [Fact]
    public void CheckHost_LoopbackAllowed_AcceptsLocalhostAndTheLiteral()
    {
        var policy = NetworkPolicy.Parse(["127.0.0.0/8"]);

        Assert.Null(policy.CheckHost(new Uri("http://localhost:8080/")));
        Assert.Null(policy.CheckHost(new Uri("http://127.0.0.1:8080/")));
        Assert.NotNull(policy.CheckHost(new Uri("http://169.254.169.254/")));
    }
}

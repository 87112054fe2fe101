using IsmsServerless.Events;
using IsmsServerless.Identity;
using IsmsServerless.Settings;

namespace IsmsServerless.Tests.Identity;

/// <summary>The identity model: normalisation, confusables, break-glass prefixes, people and their principals.</summary>
public sealed class IdentityResolverTests
{
    internal static readonly Person Alice = new()
    {
        Email = "alice@qwestly.example",
        Name = "Alice",
        Roles = ["cto"],
        Principals = new PersonPrincipals { IamUsers = ["alice"], SsoUsers = ["alice@qwestly.example"], RoleSessionNames = ["alice-admin"], SourceIdentities = ["alice.src"] },
    };

    internal static readonly Person Bob = new()
    {
        Email = "bob@qwestly.example",
        Name = "Bob",
        Roles = ["it-team"],
        Principals = new PersonPrincipals { IamUsers = ["bob"], RoleSessionNames = ["bob-ops"] },
    };

    private static IdentityResolver Resolver() => IdentityResolver.For(new IsmsSettings { People = [Alice, Bob] });

    [Theory]
    [InlineData("ALICE", "alice")]
    [InlineData("a\u200Blice", "alice")]          // zero-width space (Cf)
    [InlineData("ali\u00ADce", "alice")]          // soft hyphen (Cf)
    [InlineData("\u202Eecila", "ecila")]          // RLO (Cf) removed, text kept as typed
    [InlineData("\uFF41lice", "alice")]           // fullwidth a (NFKC)
    [InlineData("\u0430lice", "alice")]           // Cyrillic а
    [InlineData("\u0410LICE", "alice")]           // Cyrillic А, upper case
    [InlineData("\u03B1lic\u0435", "alice")]      // Greek α, Cyrillic е
    [InlineData("b\u03BF\u0299", "bo\u0299")]     // Greek ο; small capital B is not covered
    public void Skeleton_folds_case_format_characters_and_look_alikes(string text, string expected) =>
        Assert.Equal(expected, IdentityNormalizer.Skeleton(text));

    [Theory]
    [InlineData("breakglass-alice", "alice")]
    [InlineData("BreakGlass_Alice", "alice")]
    [InlineData("emergency-alice", "alice")]
    [InlineData("break-glass.alice", "alice")]
    [InlineData("br\u0435akglass-alice", "alice")] // Cyrillic е in the prefix
    [InlineData("breakglass", "breakglass")]         // nothing would remain: kept
    [InlineData("alice-breakglass", "alice-breakglass")]
    public void Emergency_prefixes_are_stripped_before_people_are_compared(string session, string expected) =>
        Assert.Equal(expected, IdentityNormalizer.StripEmergencyPrefix(session, IsmsSettings.Default.EmergencySessionNamePrefixes));

    [Theory]
    [InlineData("alice")]
    [InlineData("Alice@Qwestly.Example")]
    [InlineData("breakglass-alice")]
    [InlineData("emergency-alice-admin")]
    [InlineData("arn:aws:iam::014824332634:user/alice")]
    [InlineData("arn:aws:sts::014824332634:assumed-role/Admin/breakglass-alice")]
    [InlineData("\u0430lice")]
    [InlineData("ALICE.SRC")]
    public void Every_principal_of_a_person_resolves_to_that_person(string name)
    {
        var resolved = Resolver().ResolveName(name);
        Assert.True(resolved.Mapped, name);
        Assert.Equal("alice@qwestly.example", resolved.Display);
    }

    [Fact]
    public void A_cloudtrail_identity_resolves_by_source_identity_then_session_name()
    {
        var resolver = Resolver();
        var session = new CloudTrailUserIdentity
        {
            Type = "AssumedRole",
            Arn = "arn:aws:sts::1:assumed-role/Admin/breakglass-bob-ops",
            PrincipalId = "AROAX:breakglass-bob-ops",
        };
        Assert.Equal(Bob, resolver.Resolve(session, "1").Person);
        var withSource = session with { SessionContext = new CloudTrailSessionContext { SourceIdentity = "alice.src" } };
        Assert.Equal(Alice, resolver.Resolve(withSource, "1").Person);
        Assert.False(resolver.Resolve(new CloudTrailUserIdentity { Type = "IAMUser", UserName = "mallory" }, "1").Mapped);
    }

    [Fact]
    public void A_token_resolves_by_verified_email_not_by_its_opaque_username()
    {
        var resolver = Resolver();
        // Cognito signing in by e-mail: username is a UUID, which is nobody.
        const string uuid = "9a1b2c3d-1111-2222-3333-444455556666";
        Assert.False(resolver.ResolveToken(uuid, null, uuid).Mapped);
        var byEmail = resolver.ResolveToken(uuid, "Alice@qwestly.example", uuid);
        Assert.Equal(Alice, byEmail.Person);
        Assert.True(resolver.SamePerson(byEmail, resolver.ResolveName("breakglass-alice")));
        Assert.False(resolver.SamePerson(byEmail, resolver.ResolveName("bob")));
    }

    [Fact]
    public void Four_eyes_without_people_still_compares_normalised_names()
    {
        var resolver = IdentityResolver.For(IsmsSettings.Default);
        Assert.True(resolver.SamePerson(resolver.ResolveName("breakglass-alice"), resolver.ResolveName("alice")));
        Assert.True(resolver.SamePerson(resolver.ResolveName("\u0430lice"), resolver.ResolveName("ALICE")));
        Assert.True(resolver.SamePerson(resolver.ResolveName("alice@corp.example"), resolver.ResolveName("alice")));
        Assert.False(resolver.SamePerson(resolver.ResolveName("alice"), resolver.ResolveName("bob")));
    }

    [Fact]
    public void People_are_validated_unique_emails_known_roles_one_person_per_principal()
    {
        var clash = Bob with { Principals = new PersonPrincipals { IamUsers = ["\u0430lice"] } };
        var errors = new IsmsSettings { People = [Alice, clash] }.Validate();
        Assert.Contains(errors, e => e.Contains("'\u0430lice' already belongs to alice@qwestly.example", StringComparison.Ordinal));
        var twin = Bob with { Email = "ALICE@qwestly.example", Principals = new() };
        Assert.Contains(new IsmsSettings { People = [Alice, twin] }.Validate(), e => e.Contains("same identity", StringComparison.Ordinal));
        Assert.Contains(new IsmsSettings { People = [Bob with { Email = "bob" }] }.Validate(), e => e.Contains("people[0].email", StringComparison.Ordinal));
        Assert.Contains(new IsmsSettings { People = [Bob with { Roles = ["king"] }] }.Validate(), e => e.Contains("unknown role 'king'", StringComparison.Ordinal));
        Assert.Contains(new IsmsSettings { UnmappedAuthorReview = "maybe" }.Validate(), e => e.Contains("unmappedAuthorReview", StringComparison.Ordinal));
        Assert.Empty(new IsmsSettings { People = [Alice, Bob] }.Validate());
    }

    [Fact]
    public void People_parse_from_settings_json()
    {
        var settings = IsmsSettings.Parse("""
            {"people":[{"email":"alice@qwestly.example","name":"Alice","roles":["cto"],"principals":{"iamUsers":["alice"],"ssoUsers":[],"roleSessionNames":[],"sourceIdentities":[]},"leftAt":"2026-01-31"}],
             "unmappedAuthorReview":"refuse"}
            """);
        var alice = Assert.Single(settings.People);
        Assert.Equal((new DateOnly(2026, 1, 31), "refuse"), (alice.LeftAt!.Value, settings.UnmappedAuthorReview));
        Assert.Throws<InvalidSettingsException>(() => IsmsSettings.Parse("""{"people":[{"email":"a@x.example"},{"email":"A@X.example"}]}"""));
    }
}

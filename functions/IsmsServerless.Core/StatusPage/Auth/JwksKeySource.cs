using Microsoft.IdentityModel.Tokens;

namespace IsmsServerless.StatusPage.Auth;

/// <summary>
/// The issuer's signing keys, fetched from its JWKS URL and cached. A token signed with an unknown key id triggers one
/// refresh (key rotation), at most once every <see cref="MinimumRefreshInterval"/>, so forged kids cannot make us
/// hammer the issuer.
/// </summary>
public sealed class JwksKeySource(HttpClient http, Uri jwksUri, TimeProvider clock) : IDisposable
{
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromHours(6);
    public static readonly TimeSpan MinimumRefreshInterval = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private IReadOnlyList<SecurityKey> _keys = [];
    private DateTimeOffset _fetchedAt = DateTimeOffset.MinValue;

    public async Task<IReadOnlyList<SecurityKey>> GetKeysAsync(bool forceRefresh, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (_keys.Count > 0 && !forceRefresh && now - _fetchedAt < CacheLifetime) return _keys;
        if (_keys.Count > 0 && forceRefresh && now - _fetchedAt < MinimumRefreshInterval) return _keys;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_keys.Count > 0 && clock.GetUtcNow() - _fetchedAt < MinimumRefreshInterval) return _keys;
            using var response = await http.GetAsync(jwksUri, cancellationToken).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            var json = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var set = new JsonWebKeySet(json);
            _keys = [.. set.GetSigningKeys()];
            _fetchedAt = clock.GetUtcNow();
            return _keys;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}

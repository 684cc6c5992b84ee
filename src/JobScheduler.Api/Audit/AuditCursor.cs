using System.Globalization;
using System.Text;
using JobScheduler.Core.Audit;
using Microsoft.AspNetCore.WebUtilities;

namespace JobScheduler.Api.Audit;

/// <summary>The opaque <c>cursor</c> of <c>GET /api/audit</c>: where the previous page ended (instant and id), base64url.</summary>
internal static class AuditCursor
{
    public static string Format(AuditPosition position) =>
        WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(position.At.UtcTicks.ToString(CultureInfo.InvariantCulture) + "." + position.Id));

    public static AuditPosition? Parse(string? cursor, List<FieldError> errors)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return null;
        }
        try
        {
            var text = Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(cursor));
            var dot = text.IndexOf('.', StringComparison.Ordinal);
            if (dot > 0 && dot < text.Length - 1
                && long.TryParse(text.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                && ticks <= DateTimeOffset.MaxValue.UtcTicks)
            {
                return new AuditPosition(new DateTimeOffset(ticks, TimeSpan.Zero), text[(dot + 1)..]);
            }
        }
        catch (FormatException)
        {
            // Answered below, as any other unreadable cursor.
        }
        errors.Add(new("cursor", "is not a cursor this API gave (pass back the 'next' of the previous page)."));
        return null;
    }
}

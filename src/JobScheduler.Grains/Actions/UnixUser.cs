using System.ComponentModel;
using System.Runtime.InteropServices;

namespace JobScheduler.Grains.Actions;

/// <summary>
/// A local account as the C library reports it (<c>getpwnam_r</c>, so NSS sources such as LDAP count, as they do for
/// <see cref="System.Diagnostics.ProcessStartInfo.UserName"/>), and <c>chown</c>: the two things .NET has no API for
/// that a root server needs to hand a command's files to the account it runs as. Linux only: callers check
/// <see cref="OperatingSystem.IsLinux"/> first.
/// </summary>
internal sealed partial record UnixUser(string Name, uint Uid, uint Gid, string Home)
{
    private const int ERANGE = 34;

    /// <summary>The account named <paramref name="name"/>, or null when there is none.</summary>
    public static UnixUser? Find(string name)
    {
        for (nuint size = 1024; size <= 1024 * 1024; size *= 4)
        {
            var buffer = Marshal.AllocHGlobal((nint)size);
            try
            {
                var error = GetPwNam(name, out var entry, buffer, size, out var found);
                if (error == ERANGE)
                {
                    continue;
                }
                if (error != 0)
                {
                    throw new Win32Exception(error, $"getpwnam_r('{name}') failed");
                }
                // The strings live in the buffer: copied out before it is freed.
                return found == 0 ? null : new UnixUser(
                    Marshal.PtrToStringUTF8(entry.Name) ?? name,
                    entry.Uid,
                    entry.Gid,
                    Marshal.PtrToStringUTF8(entry.Dir) ?? "/");
            }
            finally
            {
                Marshal.FreeHGlobal(buffer);
            }
        }
        throw new Win32Exception(ERANGE, $"getpwnam_r('{name}') needs more than 1 MiB");
    }

    /// <summary>Makes this account the owner of <paramref name="path"/> (which must not be a symbolic link).</summary>
    public void Own(string path)
    {
        if (Chown(path, Uid, Gid) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"chown {Uid}:{Gid} '{path}' failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
    }

    /// <summary><c>struct passwd</c> of glibc and musl on Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Passwd
    {
        public nint Name;
        public nint Password;
        public uint Uid;
        public uint Gid;
        public nint Gecos;
        public nint Dir;
        public nint Shell;
    }

    [LibraryImport("libc", EntryPoint = "getpwnam_r", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int GetPwNam(string name, out Passwd entry, nint buffer, nuint size, out nint result);

    [LibraryImport("libc", EntryPoint = "lchown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Chown(string path, uint owner, uint group);
}

using Amazon.S3;
using Amazon.S3.Model;

namespace IsmsServerless.Inventory;

/// <summary>Opens a snapshot object for reading, as a stream (never buffered whole).</summary>
public interface ISnapshotObjectSource
{
    Task<Stream> OpenAsync(string bucket, string key, CancellationToken cancellationToken);
}

/// <summary>The S3 implementation: GetObject, returning the response stream as S3 sends it.</summary>
public sealed class S3SnapshotObjectSource(IAmazonS3 s3) : ISnapshotObjectSource
{
    public async Task<Stream> OpenAsync(string bucket, string key, CancellationToken cancellationToken)
    {
        var response = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key }, cancellationToken).ConfigureAwait(false);
        return new OwningStream(response);
    }

    /// <summary>The response stream that disposes its response (and so the HTTP connection) with it.</summary>
    private sealed class OwningStream(GetObjectResponse response) : Stream
    {
        private readonly Stream _inner = response.ResponseStream;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => _inner.Read(buffer);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inner.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _inner.ReadAsync(buffer, offset, count, cancellationToken);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
                response.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}

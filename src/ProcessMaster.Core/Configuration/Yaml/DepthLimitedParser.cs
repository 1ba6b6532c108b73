using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace ProcessMaster.Core.Configuration.Yaml;

/// <summary>
/// Hands YamlDotNet's parser events on, refusing nesting deeper than <see cref="MaxDepth"/> before the
/// representation model recurses into it: a file of 100,000 <c>[</c> would otherwise overflow the stack (the
/// process dies) and take quadratic time. Configuration never needs more than a handful of levels.
/// </summary>
internal sealed class DepthLimitedParser(IParser inner) : IParser
{
    public const int MaxDepth = 64;

    private int _depth;

    public ParsingEvent? Current => inner.Current;

    public bool MoveNext()
    {
        if (!inner.MoveNext())
        {
            return false;
        }

        switch (inner.Current)
        {
            case MappingStart or SequenceStart when ++_depth > MaxDepth:
                throw new YamlException(inner.Current.Start, inner.Current.End, $"nested deeper than {MaxDepth} levels");
            case MappingEnd or SequenceEnd:
                _depth--;
                break;
        }

        return true;
    }

    /// <summary>
    /// Parses <paramref name="text"/> into YamlDotNet's representation model with the depth limit. Any failure
    /// is a <see cref="YamlException"/> with a position: the library also throws other exceptions for some
    /// malformed input (<c>process: [a</c> then <c>b: c</c>), which are placed after the last event it read.
    /// </summary>
    public static YamlDotNet.RepresentationModel.YamlStream Load(string text)
    {
        var stream = new YamlDotNet.RepresentationModel.YamlStream();
        var parser = new DepthLimitedParser(new Parser(new StringReader(text)));
        try
        {
            stream.Load(parser);
        }
        catch (Exception e) when (e is not YamlException and not OutOfMemoryException)
        {
            var at = parser.Current?.End ?? Mark.Empty;
            throw new YamlException(at, at, $"not valid YAML near here; check brackets, quotes and indentation (parser: {e.Message})");
        }

        return stream;
    }
}

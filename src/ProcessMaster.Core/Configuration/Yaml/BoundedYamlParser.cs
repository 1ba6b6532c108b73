using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace ProcessMaster.Core.Configuration.Yaml;

/// <summary>
/// Hands YamlDotNet's parser events on, refusing the shapes that make its representation model recurse
/// without end, before it does: nesting deeper than <see cref="MaxDepth"/> (100,000 <c>[</c> overflowed the
/// stack, in quadratic time), an alias inside the node its anchor names (<c>&amp;x [*x]</c>, a cycle), and
/// a mapping key that is not a plain value (a list or alias as a key is hashed by walking it: endless for a
/// cycle, exponential for aliases of aliases). Configuration needs none of them. Found by fuzzing.
/// </summary>
internal sealed class BoundedYamlParser(IParser inner) : IParser
{
    public const int MaxDepth = 64;

    /// <summary>The open collections, innermost last: whether a mapping's next node is a key, and the collection's anchor.</summary>
    private readonly List<(bool IsMapping, bool ExpectingKey, string? Anchor)> _open = [];

    public ParsingEvent? Current => inner.Current;

    public bool MoveNext()
    {
        if (!inner.MoveNext())
        {
            return false;
        }

        var current = inner.Current!;
        switch (current)
        {
            case MappingStart or SequenceStart or Scalar or AnchorAlias:
                Node(current);
                break;
            case MappingEnd or SequenceEnd:
                _open.RemoveAt(_open.Count - 1);
                break;
        }

        return true;
    }

    private void Node(ParsingEvent node)
    {
        if (_open.Count > 0 && _open[^1] is { IsMapping: true } parent)
        {
            if (parent.ExpectingKey && node is not Scalar)
            {
                throw Refuse(node, "a mapping key must be a plain value, not a list, a mapping or an alias");
            }

            _open[^1] = parent with { ExpectingKey = !parent.ExpectingKey };
        }

        switch (node)
        {
            case AnchorAlias alias when _open.Any(o => o.Anchor == alias.Value.Value):
                throw Refuse(node, $"alias *{alias.Value.Value} is inside the node its anchor names (a cycle)");
            case MappingStart or SequenceStart when _open.Count >= MaxDepth:
                throw Refuse(node, $"nested deeper than {MaxDepth} levels");
            case MappingStart mapping:
                _open.Add((true, true, mapping.Anchor.IsEmpty ? null : mapping.Anchor.Value));
                break;
            case SequenceStart sequence:
                _open.Add((false, false, sequence.Anchor.IsEmpty ? null : sequence.Anchor.Value));
                break;
        }
    }

    private static YamlException Refuse(ParsingEvent at, string message) => new(at.Start, at.End, message);

    /// <summary>
    /// Parses <paramref name="text"/> into YamlDotNet's representation model within these bounds. Any failure
    /// is a <see cref="YamlException"/> with a position: the library also throws other exceptions for some
    /// malformed input (<c>process: [a</c> then <c>b: c</c>), which are placed after the last event it read.
    /// </summary>
    public static YamlDotNet.RepresentationModel.YamlStream Load(string text)
    {
        var stream = new YamlDotNet.RepresentationModel.YamlStream();
        var parser = new BoundedYamlParser(new Parser(new StringReader(text)));
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

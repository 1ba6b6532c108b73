using System.Text.Json.Serialization;
using ProcessMaster.Core.Events;
using ProcessMaster.Core.State;

namespace ProcessMaster.Core;

/// <summary>Source-generated JSON for the files the core writes (NativeAOT: no reflection).</summary>
[JsonSerializable(typeof(PersistentStateDocument))]
[JsonSerializable(typeof(FlagsDocument))]
internal sealed partial class CoreJsonContext : JsonSerializerContext;

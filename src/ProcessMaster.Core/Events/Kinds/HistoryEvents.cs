namespace ProcessMaster.Core.Events;

// What the event history itself says about a service's events (see ServiceEventGate).

/// <summary>A streak of the same event: it happened <paramref name="Times"/> more times after it was recorded.</summary>
public sealed record Repeated(Event Original, long Times) : Event;

/// <summary>The service's budget held back this many of its events.</summary>
public sealed record EventsHeldBack(long Count, int Burst, int PerSecond) : Event;

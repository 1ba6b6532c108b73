using ProcessMaster.Core.Events;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Control;

/// <summary><c>events</c> and <c>events.follow</c>.</summary>
internal sealed partial class ControlApi
{
    public const int MaxEvents = 100_000;

    private EventsResult Events(EventsParams parameters)
    {
        if (parameters.N is < 0 or > MaxEvents)
        {
            throw RequestErrors.InvalidParams($"parameter 'n' must be between 0 and {MaxEvents}");
        }

        if (parameters.Name is { } name)
        {
            manager.Find(name);
        }

        return new EventsResult(events.Last(parameters.N, parameters.Name).Select(ToRecord).ToList());
    }

    private EventsResult EventsFollow(EventsFollowParams parameters, RpcSession session)
    {
        Events(new EventsParams(parameters.Name, parameters.N)); // checks the parameters
        var queue = OpenStream(session, Methods.EventsFollow.Name);
        var (subscription, history) = events.Follow(entry =>
        {
            if (parameters.Name is null || entry.App == parameters.Name)
            {
                queue.Enqueue(JsonRpc.Notification(Methods.EventNotification.Name, ToRecord(entry), Methods.EventNotification.Params));
            }
        }, parameters.N, parameters.Name, parameters.After);
        session.Own(subscription);
        return new EventsResult(history.Select(ToRecord).ToList());
    }

    private static EventRecord ToRecord(EventEntry entry) => new(entry.Time, entry.App, entry.Component, entry.Message, entry.Event.Kind, EventJson.ToElement(entry.Event));
}

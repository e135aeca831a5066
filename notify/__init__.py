"""Change notifications: subscriptions (events), matching into an outbox, and a dispatcher that delivers it."""

"""Notifications (notify.md): what is sent about on-call changes and shifts, and how.

The pure parts (targets, signing, message bodies, the retry policy) are separate from the
shell that talks to receivers (send) and the delivery job and sweep that drive the outbox.
"""

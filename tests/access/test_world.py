"""The access world itself is sound: every hall has data, so a leak would show."""

from provider.models import DeliveryObservation, Promise


def test_the_world_has_south_data_that_north_users_must_not_see(world):
    assert world.chainwide.response_count == 9
    assert DeliveryObservation.objects.filter(audit=world.chainwide, unit=world.s1).exists()
    assert Promise.objects.filter(audit=world.chainwide, text="SOUTH-ONLY-PROMISE").count() == 1

from django.db import migrations, models
from django.db.models import Min, OuterRef, Subquery


def backfill_reviewed_at(apps, schema_editor):
    """Photos reviewed before the field existed take the time of their first review."""
    Photo = apps.get_model("tracker", "Photo")
    Review = apps.get_model("tracker", "Review")
    first_review = (Review.objects.filter(photo=OuterRef("pk")).order_by()
                    .values("photo").annotate(first=Min("created_at")).values("first"))
    Photo.objects.filter(reviews__isnull=False).update(reviewed_at=Subquery(first_review))


class Migration(migrations.Migration):

    dependencies = [
        ("tracker", "0004_reports"),
    ]

    operations = [
        migrations.AddField(
            model_name="photo",
            name="reviewed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(backfill_reviewed_at, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="photo",
            index=models.Index(
                condition=models.Q(("entered_in_error_at__isnull", True),
                                   ("reviewed_at__isnull", True), ("status", "ready")),
                fields=["patient", "taken_at"], name="photo_unreviewed"),
        ),
    ]

from django.db import migrations

STARTING_PAIRS = [
    ("包头", "Baotou"),
    ("稀土", "rare earth"),
    ("永磁", "permanent magnet"),
    ("内蒙古", "Inner Mongolia"),
    ("钕铁硼", "NdFeB"),
]


def add_pairs(apps, schema_editor):
    GlossaryTerm = apps.get_model("archive", "GlossaryTerm")
    for zh, en in STARTING_PAIRS:
        GlossaryTerm.objects.get_or_create(zh=zh, en=en)


def remove_pairs(apps, schema_editor):
    GlossaryTerm = apps.get_model("archive", "GlossaryTerm")
    for zh, en in STARTING_PAIRS:
        GlossaryTerm.objects.filter(zh=zh, en=en).delete()


class Migration(migrations.Migration):
    dependencies = [("archive", "0001_initial")]

    operations = [migrations.RunPython(add_pairs, remove_pairs)]

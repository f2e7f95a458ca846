# The behaviour log's model moves here from ``recsys``; its table (``recsys_interaction``) stays,
# so this migration changes the migration state only.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('catalog', '0001_initial'),
        ('recsys', '0002_modelversion'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Interaction',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('list', 'Listed'), ('rate', 'Rated'), ('status', 'Changed status'), ('favorite', 'Favourited'), ('unfavorite', 'Unfavourited'), ('remove', 'Removed from collection'), ('view', 'Opened detail page'), ('not_interested', 'Not interested')], max_length=16)),
                        ('score', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('status', models.CharField(blank=True, default='', max_length=16)),
                        ('source', models.CharField(choices=[('site', 'Site'), ('dataset', 'Data set'), ('mal_import', 'MyAnimeList import')], default='site', max_length=16)),
                        ('occurred_at', models.DateTimeField(blank=True, null=True)),
                        ('anime', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='interactions', to='catalog.anime')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='interactions', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'recsys_interaction',
                        'ordering': ['id'],
                        'indexes': [models.Index(fields=['user', 'occurred_at'], name='recsys_inte_user_id_5fcf7c_idx'), models.Index(fields=['anime', 'kind'], name='recsys_inte_anime_i_85aecd_idx'), models.Index(fields=['source', 'kind'], name='recsys_inte_source_fa8be8_idx'), models.Index(fields=['occurred_at'], name='recsys_inte_occurre_f8216e_idx')],
                    },
                ),
            ],
        ),
    ]

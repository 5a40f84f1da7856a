import django.contrib.auth.models
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
    ]

    operations = [
        migrations.CreateModel(
            name='StaffMember',
            fields=[
            ],
            options={
                'verbose_name': 'staff member',
                'verbose_name_plural': 'staff members',
                'proxy': True,
                'indexes': [],
                'constraints': [],
            },
            bases=('auth.user',),
            managers=[
                ('objects', django.contrib.auth.models.UserManager()),
            ],
        ),
        migrations.CreateModel(
            name='LoginFailure',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('username', models.CharField(max_length=150)),
                ('address', models.GenericIPAddressField()),
                ('created_at', models.DateTimeField(db_index=True)),
            ],
            options={
                'indexes': [models.Index(fields=['username', 'created_at'], name='desk_failure_user_idx'), models.Index(fields=['address', 'created_at'], name='desk_failure_addr_idx')],
            },
        ),
    ]

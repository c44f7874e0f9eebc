"""factory_boy factories for the shared core. Other apps' factories build on these."""

import factory
from django.contrib.auth.hashers import make_password

from portal.models import ClassGroup, College, DormRoom, Gender, Guardian, Role, RoleAssignment, Staff, Student, User
from portal.validators import id_card_check_digit

# Hashing a real password per user would dominate test time; one hash is shared.
TEST_PASSWORD = "correct-horse-battery-9"
_PASSWORD_HASH = None


def _password_hash() -> str:
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:
        _PASSWORD_HASH = make_password(TEST_PASSWORD)
    return _PASSWORD_HASH


def valid_id_card(n: int) -> str:
    first17 = f"420102200{n % 10}0101{n % 1000:03d}"[:14] + f"{n % 1000:03d}"
    first17 = first17[:17].ljust(17, "0")
    return first17 + id_card_check_digit(first17)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.edu.cn")
    password = factory.LazyFunction(_password_hash)


class CollegeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = College
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"C{n:02d}")
    name = factory.Sequence(lambda n: f"第{n}学院")
    leadership_email = factory.LazyAttribute(lambda c: f"lead-{c.code.lower()}@example.edu.cn")


class ClassGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClassGroup

    college = factory.SubFactory(CollegeFactory)
    name = factory.Sequence(lambda n: f"软件2401-{n}班")
    major = "软件技术"
    enrolment_year = 2024


class DormRoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DormRoom
        django_get_or_create = ("building", "room")

    building = "北苑3栋"
    floor = 2
    room = factory.Sequence(lambda n: f"{200 + n}")


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, full_name=factory.SelfAttribute("..name"))
    student_no = factory.Sequence(lambda n: f"2024{n:06d}")
    name = factory.Sequence(lambda n: f"学生{n}")
    gender = Gender.FEMALE
    ethnicity = "汉族"
    id_card_number = factory.Sequence(valid_id_card)
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    hometown_province = "湖北省"
    hometown_prefecture = "黄冈市"
    hometown_county = "红安县"
    class_group = factory.SubFactory(ClassGroupFactory)
    college = factory.SelfAttribute("class_group.college")
    room = factory.SubFactory(DormRoomFactory)
    enrolment_year = factory.SelfAttribute("class_group.enrolment_year")

    @factory.post_generation
    def with_role(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            RoleAssignment.objects.get_or_create(user=self.user, role=Role.STUDENT)


class GuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guardian

    student = factory.SubFactory(StudentFactory)
    name = "家长"
    relation = "父亲"
    phone = "13900000000"


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff

    user = factory.SubFactory(UserFactory, full_name=factory.SelfAttribute("..name"))
    employee_no = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"老师{n}")
    college = None
    phone = factory.Sequence(lambda n: f"137{n:08d}")


def grant(user: User, role: str, **scope: object) -> RoleAssignment:
    """Give `user` a role with a scope: college=…, class_group=…, rooms=[…]."""
    rooms = scope.pop("rooms", None)
    assignment = RoleAssignment.objects.create(user=user, role=role, **scope)
    if rooms:
        assignment.rooms.set(rooms)
    user.__dict__.pop("_nuanxin_scopes", None)
    return assignment

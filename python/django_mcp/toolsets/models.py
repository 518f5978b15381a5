"""``ModelToolset``: a model's rows as MCP tools (and resources), declared the way
a ``ModelAdmin`` or a DRF ``ModelViewSet`` is::

    class InvoiceTools(ModelToolset):
        model = Invoice
        fields = ["id", "number", "customer", "total", "paid"]
        operations = ["list", "retrieve", "create", "update"]
        filterset_fields = {"paid": ["exact"], "total": ["gte", "lte"]}
        search_fields = ["number", "customer__name"]
        ordering_fields = ["number", "total"]

        def get_queryset(self, ctx):
            return Invoice.objects.filter(owner=ctx.user)

    register_toolset(InvoiceTools)   # or @register_toolset above the class

Nothing is exposed that is not named: no field list is a configuration error
(``manage.py check``), and fields that hold credentials are refused even when
listed. Each operation needs the model's Django permission (``view_``,
``add_``, ``change_``, ``delete_``) unless ``check_model_permissions = False``.
"""

from __future__ import annotations

import functools
import json
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, ClassVar, Literal

import pydantic
from asgiref.sync import sync_to_async
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models, router, transaction
from django.db.models.functions import Cast
from pydantic import Field
from pydantic_core import to_jsonable_python

from ..context import Context
from ..server import MCPApp
from . import schema
from .base import ORIGIN, Operation, ToolError, flatten_errors, problem, qualname, register_operation

OPERATIONS = ("list", "retrieve", "create", "update", "delete")
#: The Django permission each operation needs.
PERMISSION_ACTIONS = {"list": "view", "retrieve": "view", "create": "add", "update": "change", "delete": "delete"}
#: Longest search text accepted: a search is a LIKE over every search field.
MAX_SEARCH_LENGTH = 200
#: No toolset may return more rows per call than this, whatever it sets:
#: a page is built in memory and sent in one response.
MAX_PAGE_SIZE_LIMIT = 1000
#: Keys offered by a resource template's completion (the spec's cap per answer).
MAX_COMPLETIONS = 100

_ANNOTATIONS = {
    "list": {"readOnlyHint": True},
    "retrieve": {"readOnlyHint": True},
    "create": {"readOnlyHint": False, "destructiveHint": False, "idempotentHint": False},
    "update": {"readOnlyHint": False, "destructiveHint": True, "idempotentHint": True},
    "delete": {"readOnlyHint": False, "destructiveHint": True, "idempotentHint": True},
}


class ModelToolset:
    """Declares which of a model's rows, fields and operations MCP clients may use.

    Subclass it, set ``model`` and ``fields``, and register it; override
    ``get_queryset`` to scope rows to the caller and ``has_object_permission``
    for per-object checks.
    """

    model: ClassVar[type[models.Model]]
    #: The fields clients see and may set: required, never "all".
    fields: ClassVar[Sequence[str]]
    #: Listed fields clients see but may not set.
    read_only_fields: ClassVar[Sequence[str]] = ()
    #: Opt-in: any of "list", "retrieve", "create", "update", "delete".
    operations: ClassVar[Sequence[str]] = ("list", "retrieve")
    #: Tool names are ``<basename>_<operation>``; the model's name by default.
    basename: ClassVar[str | None] = None
    #: Fields (or ``relation__field`` paths) a ``search`` text is matched against (icontains).
    search_fields: ClassVar[Sequence[str]] = ()
    #: Filters of the list tool: field names (exact match), or ``{field: [lookups]}``.
    filterset_fields: ClassVar[Sequence[str] | Mapping[str, Sequence[str]]] = ()
    #: A django-filter ``FilterSet`` instead of ``filterset_fields`` (needs django-filter).
    filterset_class: ClassVar[type | None] = None
    #: Fields clients may order by (``-field`` for descending).
    ordering_fields: ClassVar[Sequence[str]] = ()
    #: The order when the client asks for none (the primary key breaks ties).
    ordering: ClassVar[Sequence[str]] = ()
    page_size: ClassVar[int] = 20
    #: The most rows one call returns, whatever the client asks.
    max_page_size: ClassVar[int] = 100
    #: Require the model's view_/add_/change_/delete_ permission per operation.
    check_model_permissions: ClassVar[bool] = True
    #: Further Django permissions, OAuth scopes and an ``allow(user, ctx)`` callable, as on ``@mcp_app.tool()``.
    permissions: ClassVar[Sequence[str]] = ()
    scopes: ClassVar[Sequence[str]] = ()
    allow: ClassVar[Any] = None
    #: A DRF serializer that validates input and represents rows (its model fields must be listed in ``fields``).
    serializer_class: ClassVar[type | None] = None
    #: Publish each row as a resource ``<app_label>.<model_name>://{pk}``, with completion of keys.
    resource: ClassVar[bool] = False
    #: Send ``notifications/resources/updated`` when a row is saved or deleted (model signals).
    notify_updates: ClassVar[bool] = False

    # -- hooks ---------------------------------------------------------------

    def get_queryset(self, ctx: Context) -> models.QuerySet:
        """The rows the caller may see; everything else is as if it did not exist."""
        return self.model._default_manager.all()

    def get_related_queryset(self, ctx: Context, field: models.Field) -> models.QuerySet:
        """The rows a relation may point at when a client sets it: by default what the
        related model's own registered toolset lets the caller see, else all its rows."""
        related = field.related_model
        toolset = _registered.get(related)
        if toolset is not None:
            return toolset.get_queryset(ctx)
        return related._default_manager.all()

    def has_object_permission(self, ctx: Context, obj: models.Model, operation: str) -> bool:
        """Whether the caller may apply ``operation`` to ``obj`` (after its model permission)."""
        return True

    def perform_create(self, ctx: Context, obj: models.Model) -> None:
        obj.save()

    def perform_update(self, ctx: Context, obj: models.Model) -> None:
        obj.save()

    def perform_delete(self, ctx: Context, obj: models.Model) -> None:
        obj.delete()

    # -- registration ----------------------------------------------------------

    @classmethod
    def register(cls, app: MCPApp) -> None:
        """Checks the declaration and registers its tools (and resource) on ``app``;
        a declaration with errors registers nothing and fails ``manage.py check``."""
        spec = _Spec.of(cls)
        if spec is None:
            return
        toolset = cls()
        _registered[cls.model] = toolset
        origin = f"model {cls.model._meta.label} ({qualname(cls)})"
        for name in cls.operations:
            op = getattr(spec, f"{name}_operation")(toolset)
            register_operation(app, op, origin=origin, scopes=cls.scopes, allow=cls.allow)
        if cls.resource:
            spec.register_resource(app, toolset, origin)
        if cls.notify_updates:
            spec.connect_signals(app)


#: The registered toolset of each model (related fields are checked against them).
_registered: dict[type[models.Model], ModelToolset] = {}


def _e(id_: int) -> str:
    return f"django_mcp.E{id_}"


class _Spec:
    """A toolset's declaration, checked and turned into schemas once, at registration."""

    def __init__(self, cls: type[ModelToolset]) -> None:
        self.cls = cls
        self.model = cls.model
        meta = self.model._meta
        self.basename = cls.basename or meta.model_name
        self.label = str(meta.verbose_name)
        pk = meta.pk
        assert pk is not None
        self.pk = pk
        self.fields: dict[str, models.Field] = {pk.name: pk}
        for name in cls.fields:
            self.fields[name] = schema.model_field(self.model, name)
        self.writable = {n: f for n, f in self.fields.items() if schema.writable(f) and n not in cls.read_only_fields}
        self.serializer = cls.serializer_class
        self.output: Any = (
            dict[str, Any] if self.serializer else schema.output_model(f"{self.model.__name__}Out", self.fields)
        )
        self.pk_type = schema.python_type(pk)
        self.m2m = [n for n, f in self.fields.items() if f.many_to_many]
        self.db = router.db_for_write(self.model)

    @classmethod
    def of(cls, toolset: type[ModelToolset]) -> _Spec | None:
        """The checked declaration, or None after recording what is wrong with it."""
        model = getattr(toolset, "model", None)
        if not (isinstance(model, type) and issubclass(model, models.Model)):
            problem("a ModelToolset needs `model`, a Django model class", obj=toolset, id=_e(201))
            return None
        if not getattr(toolset, "fields", None) or isinstance(toolset.fields, str):
            problem(
                f"{qualname(toolset)} lists no fields; a toolset exposes only the fields it names",
                hint="set fields = ['id', 'name', ...]; there is no 'all fields'",
                obj=toolset,
                id=_e(202),
            )
            return None
        ok = True
        unknown_ops = [o for o in toolset.operations if o not in OPERATIONS]
        if unknown_ops or isinstance(toolset.operations, str):
            problem(
                f"unknown operations {unknown_ops or toolset.operations}",
                hint=f"use {OPERATIONS}",
                obj=toolset,
                id=_e(203),
            )
            ok = False
        paths = [*toolset.fields, *toolset.search_fields, *_filter_paths(toolset), *toolset.ordering_fields]
        paths += [o.lstrip("-") for o in toolset.ordering]
        for path in paths:
            reason = _path_problem(model, path)
            if reason:
                problem(f"{path!r}: {reason}", obj=toolset, id=_e(204))
                ok = False
        for name in toolset.fields:
            try:
                schema.python_type(schema.model_field(model, name))
            except (schema.UnsupportedField, FieldDoesNotExist) as e:
                problem(str(e), obj=toolset, id=_e(204))
                ok = False
        bad_order = [o for o in toolset.ordering if o.lstrip("-") not in toolset.ordering_fields]
        if bad_order:
            problem(f"ordering {bad_order} uses fields not in ordering_fields", obj=toolset, id=_e(205))
            ok = False
        if toolset.filterset_class is not None:
            try:
                import django_filters  # noqa: F401
            except ImportError:
                problem(
                    "filterset_class needs django-filter",
                    hint='pip install "django-mcp[drf]"',
                    obj=toolset,
                    id=_e(206),
                )
                ok = False
        if toolset.serializer_class is not None:
            ok = _check_serializer(toolset) and ok
        if not 1 <= toolset.page_size <= toolset.max_page_size <= MAX_PAGE_SIZE_LIMIT:
            problem(
                f"page sizes must satisfy 1 <= page_size <= max_page_size <= {MAX_PAGE_SIZE_LIMIT}",
                obj=toolset,
                id=_e(207),
            )
            ok = False
        return cls(toolset) if ok else None

    # -- values ------------------------------------------------------------

    def dump(self, obj: models.Model, ctx: Context) -> Any:
        if self.serializer is not None:
            from rest_framework.renderers import JSONRenderer

            data = self.serializer(obj, context=_serializer_context(ctx)).data
            return json.loads(JSONRenderer().render(data))
        values: dict[str, Any] = {}
        for name, f in self.fields.items():
            if f.many_to_many:
                values[name] = [o.pk for o in getattr(obj, name).all()]
            else:
                values[name] = getattr(obj, f.attname)
        return self.output.model_construct(**values)

    def get(self, toolset: ModelToolset, ctx: Context, pk: Any, operation: str) -> models.Model:
        """The object ``pk`` if the caller may see it; otherwise the same error as for
        a key that does not exist, so callers learn nothing about rows they cannot see."""
        obj = toolset.get_queryset(ctx).filter(pk=pk).first()
        if obj is None or not toolset.has_object_permission(ctx, obj, "retrieve"):
            raise ToolError(f"No {self.label} with {self.pk.name} {pk!r}.")
        if operation != "retrieve" and not toolset.has_object_permission(ctx, obj, operation):
            raise ToolError(f"You may not {operation} {self.label} {pk!r}.")
        return obj

    def permission(self, operation: str) -> list[str]:
        if not self.cls.check_model_permissions:
            return list(self.cls.permissions)
        codename = f"{PERMISSION_ACTIONS[operation]}_{self.model._meta.model_name}"
        return [f"{self.model._meta.app_label}.{codename}", *self.cls.permissions]

    def operation(
        self, name: str, run: Any, arguments: type[pydantic.BaseModel], description: str, returns: Any
    ) -> Operation:
        return Operation(
            name=f"{self.basename}_{name}",
            run=run,
            arguments=arguments,
            description=description,
            returns=returns,
            annotations=_ANNOTATIONS[name],
            permissions=self.permission(name),
        )

    # -- list --------------------------------------------------------------

    def list_operation(self, toolset: ModelToolset) -> Operation:
        cls = self.cls
        fields: dict[str, Any] = {}
        if cls.search_fields:
            fields["search"] = (
                Annotated[
                    str | None,
                    Field(
                        max_length=MAX_SEARCH_LENGTH, description=f"text to look for in {', '.join(cls.search_fields)}"
                    ),
                ],
                None,
            )
        filters = self.filters_model()
        if filters is not None:
            fields["filters"] = (filters | None, None)
        if cls.ordering_fields:
            choices: Any = Literal[tuple(p for f in cls.ordering_fields for p in (f, f"-{f}"))]
            fields["ordering"] = (
                Annotated[list[choices] | None, Field(description="fields to order by; -field for descending")],
                None,
            )
        fields["page"] = (Annotated[int, Field(ge=1, description="page number, from 1")], 1)
        fields["page_size"] = (Annotated[int, Field(ge=1, le=cls.max_page_size)], cls.page_size)
        arguments = schema.strict_model(f"{self.basename}_list_arguments", fields)
        page = pydantic.create_model(
            f"{self.model.__name__}Page",
            count=(int, ...),
            page=(int, ...),
            page_size=(int, ...),
            has_next=(bool, ...),
            results=(list[self.output], ...),  # type: ignore[name-defined]
        )
        searched_through_many = any(_crosses_many(self.model, p) for p in cls.search_fields)

        def run(
            ctx: Context,
            search: str | None = None,
            filters: pydantic.BaseModel | None = None,
            ordering: list[str] | None = None,
            page: int = 1,
            page_size: int = cls.page_size,
        ) -> Any:
            qs = toolset.get_queryset(ctx)
            if filters is not None:
                qs = self.apply_filters(ctx, qs, filters)
            if search:
                terms = [models.Q(**{f"{f}__icontains": search}) for f in cls.search_fields]
                qs = qs.filter(functools.reduce(operator.or_, terms))
                if searched_through_many:
                    qs = qs.distinct()
            qs = qs.order_by(*(ordering or cls.ordering), "pk")
            if self.m2m:
                qs = qs.prefetch_related(*self.m2m)
            count = qs.count()
            start = (page - 1) * page_size
            rows = list(qs[start : start + page_size]) if start < count else []
            return page_model.model_construct(
                count=count,
                page=page,
                page_size=page_size,
                has_next=start + page_size < count,
                results=[self.dump(o, ctx) for o in rows],
            )

        page_model = page
        description = f"List {self.model._meta.verbose_name_plural}"
        if cls.search_fields:
            description += ", searching their " + ", ".join(cls.search_fields)
        description += f"; at most {cls.max_page_size} per page."
        return self.operation("list", run, arguments, description, page)

    def filters_model(self) -> type[pydantic.BaseModel] | None:
        cls = self.cls
        if cls.filterset_class is not None:
            return self._django_filter_model()
        lookups = _filter_lookups(cls)
        if not lookups:
            return None
        fields: dict[str, Any] = {}
        for path, lookup in lookups:
            name = path if lookup == "exact" else f"{path}__{lookup}"
            field = _resolve(self.model, path)[-1]
            fields[name] = (schema.lookup_annotation(field, lookup), None)
        return schema.strict_model(f"{self.basename}_filters", fields)

    def _django_filter_model(self) -> type[pydantic.BaseModel]:
        import django_filters

        fields: dict[str, Any] = {}
        for name, flt in self.cls.filterset_class.base_filters.items():  # type: ignore[union-attr]
            annotation: Any = str | None
            if isinstance(flt, django_filters.BooleanFilter):
                annotation = bool | None
            elif not isinstance(flt, (django_filters.filters.BaseCSVFilter, django_filters.ModelMultipleChoiceFilter)):
                try:
                    field = _resolve(self.model, flt.field_name)[-1]
                    annotation = schema.lookup_annotation(field, flt.lookup_expr)
                except (FieldDoesNotExist, schema.UnsupportedField, AttributeError):
                    pass
            label = flt.label or flt.extra.get("help_text")
            fields[name] = (Annotated[annotation, Field(description=str(label))] if label else annotation, None)
        return schema.strict_model(f"{self.basename}_filters", fields)

    def apply_filters(self, ctx: Context, qs: models.QuerySet, filters: pydantic.BaseModel) -> models.QuerySet:
        given = filters.model_dump(exclude_unset=True)
        if not given:
            return qs
        if self.cls.filterset_class is not None:
            data = {k: ",".join(map(str, v)) if isinstance(v, list) else v for k, v in given.items()}
            filterset = self.cls.filterset_class(data=data, queryset=qs, request=ctx.request)
            if not filterset.is_valid():
                raise ToolError("Invalid filters: " + _form_errors(filterset.errors))
            return filterset.qs
        qs = qs.filter(**given)
        if any(_crosses_many(self.model, k.split("__")[0]) for k in given):
            qs = qs.distinct()
        return qs

    # -- retrieve, create, update, delete -----------------------------------

    def retrieve_operation(self, toolset: ModelToolset) -> Operation:
        arguments = schema.strict_model(f"{self.basename}_retrieve_arguments", {"pk": (self.pk_type, ...)})

        def run(ctx: Context, pk: Any) -> Any:
            return self.dump(self.get(toolset, ctx, pk, "retrieve"), ctx)

        return self.operation("retrieve", run, arguments, f"One {self.label} by its {self.pk.name}.", self.output)

    def data_model(self, *, partial: bool) -> type[pydantic.BaseModel]:
        fields: dict[str, Any] = {}
        for name, f in self.writable.items():
            if partial or not schema.required_on_create(f):
                # Absent means "leave as it is" (or the model's default); the schema shows no default.
                fields[name] = (schema.field_annotation(f), Field(None, json_schema_extra=_no_default))
            else:
                fields[name] = (schema.field_annotation(f), ...)
        return schema.strict_model(f"{self.basename}_{'changes' if partial else 'data'}", fields)

    def create_operation(self, toolset: ModelToolset) -> Operation:
        data_model: Any = dict[str, Any] if self.serializer else self.data_model(partial=False)
        arguments = schema.strict_model(f"{self.basename}_create_arguments", {"data": (data_model, ...)})

        def run(ctx: Context, data: Any) -> Any:
            obj = self.model()
            values = self.deserialize(ctx, data, None)
            with transaction.atomic(using=self.db):
                self.save(toolset, ctx, obj, values, toolset.perform_create)
            return self.dump(obj, ctx)

        op = self.operation("create", run, arguments, f"Create {_a(self.label)}.", self.output)
        op.input_schema = self.serializer_arguments(partial=False)
        return op

    def update_operation(self, toolset: ModelToolset) -> Operation:
        data_model: Any = dict[str, Any] if self.serializer else self.data_model(partial=True)
        arguments = schema.strict_model(
            f"{self.basename}_update_arguments",
            {
                "pk": (self.pk_type, ...),
                "data": (
                    Annotated[data_model, Field(description="the fields to change; others keep their values")],
                    ...,
                ),
            },
        )

        def run(ctx: Context, pk: Any, data: Any) -> Any:
            with transaction.atomic(using=self.db):
                obj = self.get(toolset, ctx, pk, "update")
                self.save(toolset, ctx, obj, self.deserialize(ctx, data, obj), toolset.perform_update)
            return self.dump(obj, ctx)

        op = self.operation("update", run, arguments, f"Change fields of {_a(self.label)}.", self.output)
        op.input_schema = self.serializer_arguments(partial=True)
        return op

    def save(
        self,
        toolset: ModelToolset,
        ctx: Context,
        obj: models.Model,
        values: dict[str, Any],
        perform: Callable[[Context, models.Model], None],
    ) -> None:
        """Assigns ``values``, validates, saves through ``perform`` (the
        toolset's ``perform_create`` or ``perform_update``), then sets the
        many-to-many relations; inside the caller's transaction."""
        m2m = self.assign(toolset, ctx, obj, values)
        self.validate(obj)
        perform(ctx, obj)
        for name, pks in m2m.items():
            getattr(obj, name).set(pks)
        # As stored: the database's rounding of decimals, its defaults.
        obj.refresh_from_db()

    def deserialize(self, ctx: Context, data: Any, instance: models.Model | None) -> dict[str, Any]:
        """The values a create (no ``instance``) or update gives, validated: by the
        arguments' model already, or here by the serializer."""
        if self.serializer is None:
            return dict(data.model_dump(exclude_unset=True))
        serializer = self.serializer(
            instance, data=data, partial=instance is not None, context=_serializer_context(ctx)
        )
        writable = {n for n, f in serializer.fields.items() if not f.read_only}
        unknown = sorted(set(data) - writable)
        if unknown:
            raise ToolError(
                f"Invalid {self.label}: unknown fields {', '.join(unknown)}; it takes {', '.join(sorted(writable))}"
            )
        if not serializer.is_valid():
            raise ToolError(f"Invalid {self.label}: " + "; ".join(flatten_errors(serializer.errors)))
        return {name: _key_of(value) for name, value in serializer.validated_data.items()}

    def serializer_arguments(self, *, partial: bool) -> dict[str, Any] | None:
        """The input schema of a create or update from the serializer (None without one)."""
        if self.serializer is None:
            return None
        properties: dict[str, Any] = {"data": schema.serializer_schema(self.serializer(), partial=partial)}
        if partial:
            properties = {"pk": {"type": "integer" if self.pk_type is int else "string"}, **properties}
        return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}

    def delete_operation(self, toolset: ModelToolset) -> Operation:
        arguments = schema.strict_model(f"{self.basename}_delete_arguments", {"pk": (self.pk_type, ...)})
        deleted = pydantic.create_model(f"{self.model.__name__}Deleted", deleted=(bool, ...), pk=(self.pk_type, ...))

        def run(ctx: Context, pk: Any) -> Any:
            with transaction.atomic(using=self.db):
                obj = self.get(toolset, ctx, pk, "delete")
                toolset.perform_delete(ctx, obj)
            return deleted(deleted=True, pk=pk)

        return self.operation("delete", run, arguments, f"Delete {_a(self.label)}.", deleted)

    def assign(
        self, toolset: ModelToolset, ctx: Context, obj: models.Model, values: dict[str, Any]
    ) -> dict[str, list[Any]]:
        """Sets the given values on ``obj``; relations must point at rows the caller may
        see. Returns the many-to-many values, to set once ``obj`` is saved."""
        m2m: dict[str, list[Any]] = {}
        for name, value in values.items():
            field = self.writable[name]
            if field.is_relation and value is not None:
                wanted = set(value) if field.many_to_many else {value}
                visible = set(
                    toolset.get_related_queryset(ctx, field).filter(pk__in=wanted).values_list("pk", flat=True)
                )
                missing = sorted(map(str, wanted - visible))
                if missing:
                    related = field.related_model._meta.verbose_name
                    raise ToolError(f"Invalid {self.label}: {name}: no {related} with key {', '.join(missing)}.")
            if field.many_to_many:
                m2m[name] = value or []
            else:
                setattr(obj, field.attname, value)
        return m2m

    def validate(self, obj: models.Model) -> None:
        """The model's own validation (``full_clean``) of the fields clients may set."""
        exclude = [f.name for f in self.model._meta.fields if f.name not in self.writable]
        try:
            obj.full_clean(exclude=exclude)
        except ValidationError as e:
            raise ToolError(f"Invalid {self.label}: " + _form_errors(e.message_dict)) from None

    # -- resources and signals ---------------------------------------------------

    def uri_template(self) -> str:
        return f"{self.model._meta.app_label}.{self.model._meta.model_name}://{{pk}}"

    def register_resource(self, app: MCPApp, toolset: ModelToolset, origin: str) -> None:
        template = self.uri_template()

        def read(pk: Any, ctx: Context) -> str:
            try:
                return json.dumps(to_jsonable_python(self.dump(self.get(toolset, ctx, pk, "retrieve"), ctx)))
            except ToolError as e:
                raise LookupError(str(e)) from None

        read.__annotations__ = {"pk": self.pk_type, "ctx": Context, "return": str}
        read.__name__ = read.__qualname__ = f"{self.basename}_resource"
        setattr(read, ORIGIN, origin)
        app.resource(
            template,
            name=f"{self.basename}",
            title=str(self.model._meta.verbose_name).capitalize(),
            description=f"{_a(self.label).capitalize()}, as JSON.",
            mime_type="application/json",
            permissions=self.permission("retrieve"),
            scopes=self.cls.scopes,
            allow=self.cls.allow,
        )(read)
        complete_keys = sync_to_async(functools.partial(self.complete_keys, app, toolset, template))
        app.complete_resource(template, complete_keys)

    def complete_keys(
        self, app: MCPApp, toolset: ModelToolset, template: str, ref: Any, argument: Any, context: Any, ctx: Context
    ) -> list[str]:
        """Keys of the rows the caller may see that start with what it typed."""
        if argument.name != "pk":
            return []
        resource = next(f for f in app.functions("resource") if f.key == template)
        info = (ctx.scope or {}).get("mcp.auth")
        if resource.access is not None and resource.access.refusal(ctx.user, getattr(info, "scopes", None), ctx):
            return []
        qs = toolset.get_queryset(ctx).annotate(_mcp_key=Cast("pk", models.CharField()))
        qs = qs.filter(_mcp_key__startswith=argument.value).order_by("pk")
        return [str(k) for k in qs.values_list("pk", flat=True)[:MAX_COMPLETIONS]]

    def connect_signals(self, app: MCPApp) -> None:
        from django.db.models.signals import post_delete, post_save

        template = self.uri_template()

        def changed(sender: Any, instance: models.Model, using: str, **kwargs: Any) -> None:
            uri = template.replace("{pk}", str(instance.pk))
            transaction.on_commit(lambda: app.notify_resource_updated(uri), using=using)

        uid = f"django_mcp.toolsets:{self.model._meta.label}"
        post_save.connect(changed, sender=self.model, weak=False, dispatch_uid=uid + ":save")
        post_delete.connect(changed, sender=self.model, weak=False, dispatch_uid=uid + ":delete")


def _serializer_context(ctx: Context) -> dict[str, Any]:
    return {"request": ctx.request, "ctx": ctx}


def _key_of(value: Any) -> Any:
    """A serializer's validated related objects as the keys the model fields take."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, models.Model) for v in value):
        return [v.pk for v in value]
    return value


def _check_serializer(toolset: type[ModelToolset]) -> bool:
    """A serializer may show and take only listed model fields (and fields it computes itself)."""
    try:
        serializer = toolset.serializer_class()  # type: ignore[misc]
    except Exception as e:
        problem(f"serializer_class cannot be instantiated: {e}", obj=toolset, id=_e(208))
        return False
    model = toolset.model
    listed = {*toolset.fields, model._meta.pk.name}
    ok = True
    for name, field in serializer.fields.items():
        source = field.source if field.source not in (None, "*") else name
        try:
            model._meta.get_field(source.split(".")[0])
        except FieldDoesNotExist:
            if not field.read_only:
                problem(f"serializer field {name!r} is not a field of {model.__name__}", obj=toolset, id=_e(208))
                ok = False
            continue
        if source.split(".")[0] not in listed or schema.is_sensitive(model, source.split(".")[0]):
            problem(
                f"serializer field {name!r} ({source}) is not in fields",
                hint="list it in fields, or leave it out of the serializer",
                obj=toolset,
                id=_e(208),
            )
            ok = False
    return ok


def _a(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _no_default(schema_: dict[str, Any]) -> None:
    schema_.pop("default", None)


def _form_errors(errors: Mapping[str, Any]) -> str:
    parts = []
    for name, messages in errors.items():
        text = " ".join(str(m) for m in messages) if isinstance(messages, (list, tuple)) else str(messages)
        parts.append(f"{'data' if name == '__all__' else name}: {text}")
    return "; ".join(parts)


def _filter_lookups(cls: type[ModelToolset]) -> list[tuple[str, str]]:
    declared = cls.filterset_fields
    if isinstance(declared, Mapping):
        return [(path, lookup) for path, lookups in declared.items() for lookup in lookups]
    return [(path, "exact") for path in declared]


def _filter_paths(cls: type[ModelToolset]) -> list[str]:
    return [path for path, _lookup in _filter_lookups(cls)]


def _resolve(model: type[models.Model], path: str) -> list[models.Field]:
    """The fields along ``relation__field``; FieldDoesNotExist for a wrong name."""
    chain = []
    for part in path.split("__"):
        field = model._meta.get_field(part)
        chain.append(field)
        if field.is_relation and field.related_model is not None:
            model = field.related_model
    return chain


def _crosses_many(model: type[models.Model], path: str) -> bool:
    try:
        return any(f.many_to_many or f.one_to_many for f in _resolve(model, path))
    except FieldDoesNotExist:
        return False


def _path_problem(model: type[models.Model], path: str) -> str | None:
    """Why ``path`` may not be used (unknown, or through a field holding credentials)."""
    try:
        chain = _resolve(model, path)
    except FieldDoesNotExist as e:
        return str(e)
    for field in chain:
        owner = field.model if hasattr(field, "model") else model
        if schema.is_sensitive(owner, field.name):
            return "holds credentials; such fields are never exposed, filtered, searched or ordered by"
    return None

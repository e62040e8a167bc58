"""The consent wording in Spanish beside the English, and the language each patient signed in.

Version 1 of each document (migration 0009) is given its Spanish wording here. Its English, the wording every
intake signed so far agreed to, stays as it was, and each of those intakes records no Spanish page
(`signed_language` empty: read in English), so nothing anyone agreed to changes. A later version is the clinic's
to translate, before it is published.
"""

from importlib import import_module

from django.db import migrations, models

ENGLISH = import_module("assessments.migrations.0009_consent_documents_version_one")

PRIVACY = """\
Este aviso explica cómo podemos usar y compartir su información de salud, y cómo puede usted consultarla. Por favor, léalo con atención.

## Nuestro compromiso
Su información de salud es privada. La mantenemos segura, la usamos para atenderle y para administrar la clínica, y solo la compartimos como lo indica este aviso. La ley nos obliga a protegerla, a entregarle este aviso y a cumplirlo.

## Cómo la usamos y la compartimos
- Para atenderle: su fisioterapeuta lee su cuestionario y sus notas para planear su tratamiento, y puede compartirlos con su médico o con cualquier otra persona que le atienda.
- Para recibir el pago: compartimos lo necesario con usted, con su plan de salud o con quien pague su atención, para poder cobrarla.
- Para administrar la clínica: revisamos la calidad de nuestra atención, capacitamos a nuestro equipo y llevamos nuestros registros, usando solo lo necesario.
- Para recordarle sus citas: le enviamos confirmaciones y recordatorios por correo electrónico o mensaje de texto. Nunca incluyen detalles de su salud.

## Cuándo la ley nos permite u obliga a compartirla
- Por la salud y la seguridad públicas, por ejemplo para reportar abuso o negligencia, o para evitar una amenaza grave a la salud o la seguridad de alguien.
- Cuando la ley lo exige, también cuando el Departamento de Salud y Servicios Humanos de los EE. UU. verifica que cumplimos las leyes de privacidad.
- Para reclamos de compensación laboral, ante agencias que supervisan los servicios de salud, ante las autoridades policiales, y en respuesta a una orden judicial o un citatorio.
- A un médico forense, para la donación de órganos, y para investigaciones aprobadas con protecciones de privacidad.

## Cuándo necesitamos su permiso por escrito
Nunca vendemos su información, y nunca la usamos con fines publicitarios sin su permiso por escrito. Cualquier otro uso también requiere su permiso por escrito, y usted puede retirarlo, por escrito, en cualquier momento.

## Sus derechos
- Ver su expediente u obtener una copia, en papel o en formato electrónico. Por lo general respondemos en un plazo de 30 días, y podemos cobrarle una tarifa razonable basada en el costo.
- Pedirnos que corrijamos su expediente si cree que tiene errores o le falta información. Si le decimos que no, le explicaremos por qué, por escrito, en un plazo de 60 días.
- Pedirnos que nos comuniquemos con usted de cierta manera o en cierto lugar, por ejemplo a otro número de teléfono. Aceptaremos toda solicitud razonable.
- Pedirnos que limitemos lo que usamos o compartimos. No estamos obligados a aceptar, pero si usted paga un servicio completo de su bolsillo, no lo compartiremos con su plan de salud, a menos que la ley nos obligue.
- Obtener una lista de las veces que compartimos su información en los últimos seis años, salvo para su atención, el pago, la administración de la clínica y algunos otros casos.
- Obtener una copia en papel de este aviso en cualquier momento, aunque haya aceptado recibirlo en formato electrónico.
- Elegir a alguien que actúe en su nombre, como su padre o su madre, un tutor legal o la persona a quien usted haya dado un poder para decisiones médicas.

## Nuestras obligaciones
Le avisaremos sin demora si ocurre una filtración que pueda haber puesto en riesgo su información. Las leyes de California también protegen su información médica, y donde le dan más protección, las seguimos.

## Preguntas y quejas
¿Tiene preguntas, o cree que no protegimos su privacidad? Pida hablar con nuestro responsable de privacidad, al teléfono o al correo electrónico que aparecen en esta página. También puede presentar una queja ante la Oficina de Derechos Civiles del Departamento de Salud y Servicios Humanos de los EE. UU., en www.hhs.gov/ocr/complaints o al 1-877-696-6775. Nunca tomaremos represalias contra usted por presentar una queja.

## Cambios a este aviso
Podemos cambiar este aviso, y el cambio se aplicará a toda la información que tengamos sobre usted. El aviso vigente siempre está en nuestro sitio web y en la clínica, con la fecha en que entró en vigor.
"""

TREATMENT = """\
Al marcar la casilla de abajo, usted acepta que nuestros fisioterapeutas con licencia le evalúen y le den tratamiento.

## Lo que hacemos
Le preguntamos por su dolor, por cómo corre y por su salud. Observamos cómo se mueve y evaluamos su fuerza, su equilibrio y su control en una sola pierna. El tratamiento puede incluir ejercicios, terapia manual (con las manos), como trabajo de tejidos blandos y movilización de las articulaciones, y consejos sobre su entrenamiento. Solo grabamos su zancada en video si usted lo autoriza más abajo.

## Beneficios y riesgos
La mayoría de los corredores se mueven mejor y sienten menos dolor, pero no podemos prometerle un resultado. Es posible que sienta molestias o cansancio uno o dos días después de la evaluación o del tratamiento. Los problemas graves, como una caída o una lesión, son poco frecuentes.

## Usted decide
Pregúntenos lo que quiera, cuando quiera. Puede decir que no a cualquier prueba o tratamiento, o pedirnos que paremos en cualquier momento, y lo respetaremos. Avísenos de inmediato si algo le duele más de lo que esperaba.

## Cuándo debe verle un médico
En California puede ver a un fisioterapeuta sin una referencia de su médico. Su fisioterapeuta no es médico y no diagnostica enfermedades. Si encontramos señales de algo que debe revisar un médico, o si usted no mejora, se lo diremos y le referiremos a un médico; con su permiso, compartiremos con ese médico lo que encontramos.

## Su parte
Infórmenos sobre su salud de forma completa y honesta, y avísenos de cualquier cambio antes de cada visita.

Este consentimiento cubre esta visita y las visitas de seguimiento por el mismo problema. Puede retirarlo en cualquier momento con solo decírnoslo.
"""

SPANISH = {"privacy": (ENGLISH.PRIVACY, PRIVACY), "treatment": (ENGLISH.TREATMENT, TREATMENT)}


def version_one_in_spanish(apps, schema_editor):
    ConsentDocument = apps.get_model("assessments", "ConsentDocument")
    for kind, (english, spanish) in SPANISH.items():
        ConsentDocument.objects.filter(kind=kind, version=1, body=english, body_es="").update(body_es=spanish)


def version_one_in_english_alone(apps, schema_editor):
    ConsentDocument = apps.get_model("assessments", "ConsentDocument")
    for kind, (_, spanish) in SPANISH.items():
        ConsentDocument.objects.filter(kind=kind, version=1, body_es=spanish).update(body_es="")


class Migration(migrations.Migration):
    dependencies = [("assessments", "0010_managers_edit_consent_documents")]

    operations = [
        migrations.AddField(
            model_name="consentdocument",
            name="body_es",
            field=models.TextField(
                blank=True,
                default="",
                help_text="The same wording in Spanish, written the same way. Empty: patients reading in Spanish are "
                "shown the English wording.",
                max_length=20000,
                verbose_name="wording in Spanish",
            ),
        ),
        migrations.AddField(
            model_name="intake",
            name="signed_language",
            field=models.CharField(blank=True, default="", editable=False, max_length=8),
        ),
        migrations.RunPython(version_one_in_spanish, version_one_in_english_alone),
    ]
